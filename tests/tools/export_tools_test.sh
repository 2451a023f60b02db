#!/usr/bin/env bash
# The export tools end to end (ctest tools.export): a user's own small network and generator
# (a module file + a state dict saved by torch.save, as docs/torch-models.md describes) go through
# tools/export_network.py and tools/export_generator.py, and xdream-evolve runs on the results:
# a pre-ReLU tap after an in-place ReLU, a baked resize, a tanh generator mapped to [0, 1].
# Usage: export_tools_test.sh XDREAM_EVOLVE SOURCE_DIR
set -euo pipefail
evolve=$1 src=$2
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cat > "$work/mine.py" <<'PY'
import torch, torch.nn as nn
class Net(nn.Module):  # torchvision style: Sequential features with in-place ReLUs
    def __init__(self):
        super().__init__()
        self.features = nn.Sequential(nn.Conv2d(3, 8, 3, padding=1), nn.ReLU(inplace=True),
                                      nn.MaxPool2d(2), nn.Conv2d(8, 16, 3, padding=1),
                                      nn.ReLU(inplace=True))
        self.classifier = nn.Sequential(nn.Flatten(), nn.Linear(16 * 8 * 8, 32),
                                        nn.ReLU(inplace=True), nn.Linear(32, 5))
    def forward(self, x):
        return self.classifier(self.features(x))
class Gen(nn.Module):  # a GAN-like generator with a tanh output
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(12, 3 * 24 * 24)
    def forward(self, z):
        return torch.tanh(self.fc(z)).view(-1, 3, 24, 24)
PY
/usr/bin/python3 - "$work" <<'PY'
import sys, torch
sys.path.insert(0, sys.argv[1])
import mine
torch.manual_seed(0)
torch.save(mine.Net().state_dict(), sys.argv[1] + "/net.pth")
torch.save(mine.Gen().state_dict(), sys.argv[1] + "/gen.pth")
PY
/usr/bin/python3 "$src/tools/export_network.py" --module "$work/mine.py:Net" --weights "$work/net.pth" \
  --taps conv1=features.0 conv2=features.3 fc=classifier.1 out=classifier.3 --input-size 16 \
  --mean 0.5 0.5 0.5 --std 0.25 0.25 0.25 --out "$work/net.pt" > "$work/net.log"
/usr/bin/python3 "$src/tools/export_generator.py" --module "$work/mine.py:Gen" --weights "$work/gen.pth" \
  --code-size 12 --convention tanh --out "$work/gen.pt" > "$work/gen.log"
for unit in "conv1 3" "conv2 5" "fc 7" "out 2"; do
  set -- $unit
  "$evolve" --generator "$work/gen.pt" --network "$work/net.pt" --tap "$1" --unit "$2" \
    --reference none --generations 15 --threads 1 --out "$work/run-$1" --quiet > "$work/run-$1.log"
  /usr/bin/python3 - "$work/run-$1/summary.json" "$work/run-$1/scores.csv" "$1" <<'PY'
import csv, json, sys
summary = json.load(open(sys.argv[1]))
rows = list(csv.DictReader(open(sys.argv[2])))
first, last = float(rows[0]["best"]), float(rows[-1]["best"])
assert len(rows) == 15 and last > first, (sys.argv[3], first, last)
print(f"ok   exported models: tap {sys.argv[3]} evolved from {first:.4g} to {last:.4g}")
PY
done
# The taps are the eager model's pre-ReLU values (the in-place ReLU after conv1 did not leak in)
# and the generator's tanh output was mapped to [0, 1].
/usr/bin/python3 - "$work" <<'PY'
import sys, torch
sys.path.insert(0, sys.argv[1])
import mine
net = mine.Net(); net.load_state_dict(torch.load(sys.argv[1] + "/net.pth")); net.eval()
gen = mine.Gen(); gen.load_state_dict(torch.load(sys.argv[1] + "/gen.pth")); gen.eval()
x = torch.rand(4, 3, 16, 16, generator=torch.Generator().manual_seed(1))
with torch.no_grad():
    taps = torch.jit.load(sys.argv[1] + "/net.pt")(x)
    conv1 = net.features[0]((x - 0.5) / 0.25)
    z = torch.randn(3, 12, generator=torch.Generator().manual_seed(2))
    images = torch.jit.load(sys.argv[1] + "/gen.pt")(z)
    expected = (gen(z) + 1) / 2
assert taps["conv1"].min() < 0, "conv1 tap has no negative value: not pre-ReLU"
assert torch.allclose(taps["conv1"], conv1, atol=1e-5), (taps["conv1"] - conv1).abs().max()
assert torch.allclose(images, expected, atol=1e-6) and images.min() >= 0 and images.max() <= 1
print("ok   exported taps equal the eager pre-ReLU values; tanh output mapped to [0, 1]")
PY
echo "5 passed, 0 failed"
