#!/usr/bin/python3
"""Export a PyTorch network as an xdream "network" TorchScript module (docs/torch-models.md).

The exported module implements xdream's network contract ("The contract" in docs/torch-models.md):

    forward(images: Tensor[N, C, H, W] float32 in [0, 1]) -> Dict[str, Tensor]

returning the PRE-ReLU outputs of the chosen layers ("taps"). Optional preprocessing is baked
in, in this order: resize to --input-size (bilinear), channel reversal (--bgr), multiplication
by --scale, then (x - mean) / std per channel.

Taps are module paths as in model.named_modules() (e.g. features.0, classifier.1). In-place
activations (torchvision's ReLU(inplace=True)) are switched to out-of-place before export, so a
tap taken at a convolution is really the value before the following ReLU. Layers that no tap
needs are pruned (a network exported up to fc6 never computes fc7/fc8).

Examples:
    # torchvision-layout AlexNet with your own weights (state dict saved by torch.save)
    /usr/bin/python3 tools/export_network.py --arch alexnet --weights my_alexnet.pth \\
        --taps conv1=features.0 conv5=features.10 fc6=classifier.1 fc8=classifier.6 \\
        --input-size 224 --mean 0.485 0.456 0.406 --std 0.229 0.224 0.225 --out alexnet_taps.pt
    # full-size random-weight AlexNet, for benchmarks only
    /usr/bin/python3 tools/export_network.py --arch alexnet --random-weights --out alexnet_random.pt

--arch alexnet is built in (torchvision's exact layout and state-dict key names, no torchvision
needed). With python3-torchvision installed, any torchvision.models name works
(--arch torchvision:resnet18). --module FILE.py:NAME uses your own nn.Module class (or a
function returning a module), constructed without arguments.
"""
import argparse
import os
from typing import Dict, List

import torch
from torch import nn
import torch.fx
import torch.nn.functional as F

from xdream_common import load_module_spec, load_weights, print_forward_time, write_sha256_sidecar

TORCHVISION_MEAN = [0.485, 0.456, 0.406]
TORCHVISION_STD = [0.229, 0.224, 0.225]


class AlexNet(nn.Module):
    """torchvision.models.AlexNet, same layout and state-dict keys (features.0 ... classifier.6).

    features: 0 conv1 11x11/4 64, 1 ReLU, 2 maxpool, 3 conv2 5x5 192, 4 ReLU, 5 maxpool,
    6 conv3 3x3 384, 7 ReLU, 8 conv4 3x3 256, 9 ReLU, 10 conv5 3x3 256, 11 ReLU, 12 maxpool;
    avgpool to 6x6; classifier: 0 dropout, 1 fc6 9216->4096, 2 ReLU, 3 dropout,
    4 fc7 4096->4096, 5 ReLU, 6 fc8 4096->num_classes."""

    def __init__(self, num_classes: int = 1000, dropout: float = 0.5):
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(3, 64, kernel_size=11, stride=4, padding=2), nn.ReLU(inplace=True),
            nn.MaxPool2d(kernel_size=3, stride=2),
            nn.Conv2d(64, 192, kernel_size=5, padding=2), nn.ReLU(inplace=True),
            nn.MaxPool2d(kernel_size=3, stride=2),
            nn.Conv2d(192, 384, kernel_size=3, padding=1), nn.ReLU(inplace=True),
            nn.Conv2d(384, 256, kernel_size=3, padding=1), nn.ReLU(inplace=True),
            nn.Conv2d(256, 256, kernel_size=3, padding=1), nn.ReLU(inplace=True),
            nn.MaxPool2d(kernel_size=3, stride=2),
        )
        self.avgpool = nn.AdaptiveAvgPool2d((6, 6))
        self.classifier = nn.Sequential(
            nn.Dropout(p=dropout), nn.Linear(256 * 6 * 6, 4096), nn.ReLU(inplace=True),
            nn.Dropout(p=dropout), nn.Linear(4096, 4096), nn.ReLU(inplace=True),
            nn.Linear(4096, num_classes),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.features(x)
        x = self.avgpool(x)
        x = torch.flatten(x, 1)
        return self.classifier(x)


ALEXNET_TAPS = ["conv1=features.0", "conv2=features.3", "conv3=features.6", "conv4=features.8",
                "conv5=features.10", "fc6=classifier.1", "fc7=classifier.4",
                "fc8=classifier.6"]


def build_model(args):
    if args.module:
        return load_module_spec(args.module)
    if args.arch == "alexnet":
        return AlexNet(num_classes=args.num_classes)
    if args.arch.startswith("torchvision:"):
        try:
            import torchvision
        except ImportError:
            raise SystemExit("--arch torchvision:NAME needs python3-torchvision")
        return getattr(torchvision.models, args.arch.split(":", 1)[1])(num_classes=args.num_classes)
    raise SystemExit(f"unknown --arch {args.arch!r} (alexnet, torchvision:NAME, or --module)")


def disable_inplace(model):
    """Make every in-place activation out-of-place, so that a tapped value is not overwritten."""
    n = 0
    for m in model.modules():
        if hasattr(m, "inplace") and m.inplace:
            m.inplace = False
            n += 1
    return n


def parse_taps(specs):
    taps = {}
    for s in specs:
        name, sep, path = s.partition("=")
        if not sep:
            name, path = s, s
        if name in taps:
            raise SystemExit(f"tap name {name!r} given twice")
        taps[name] = path
    return taps


def tapped_graph_module(model, taps):
    """FX-trace the model and return a GraphModule whose output is {tap name: value of the
    module at that path}, with everything the taps do not need removed."""
    gm = torch.fx.symbolic_trace(model)
    by_target = {}
    for node in gm.graph.nodes:
        if node.op == "call_module":
            by_target.setdefault(node.target, []).append(node)
    values = {}
    for name, path in taps.items():
        nodes = by_target.get(path)
        if not nodes:
            known = ", ".join(sorted(by_target))
            raise SystemExit(f"tap {name}={path}: no module call {path!r} in the traced graph "
                             f"(module calls: {known})")
        if len(nodes) > 1:
            raise SystemExit(f"tap {name}={path}: module is called {len(nodes)} times")
        values[name] = nodes[0]
    out = [n for n in gm.graph.nodes if n.op == "output"][0]
    with gm.graph.inserting_before(out):
        new_out = gm.graph.output({k: v for k, v in values.items()})
    gm.graph.erase_node(out)
    new_out.type = None
    gm.graph.eliminate_dead_code()
    # drop modules no longer called
    gm.delete_all_unused_submodules()
    gm.recompile()
    return gm


class TapNetwork(nn.Module):
    """images [N,C,H,W] in [0,1] -> resize -> channel order -> scale -> (x-mean)/std -> taps."""

    size: List[int]  # declared: TorchScript cannot infer a type from the empty list of "no resize"

    def __init__(self, body: nn.Module, size: List[int], bgr: bool, scale: float,
                 mean: List[float], std: List[float]):
        super().__init__()
        self.body = body
        self.size = size
        self.resize = len(size) == 2
        self.bgr = bgr
        self.scale = scale
        self.register_buffer("mean", torch.tensor(mean, dtype=torch.float32).view(1, -1, 1, 1))
        self.register_buffer("std", torch.tensor(std, dtype=torch.float32).view(1, -1, 1, 1))

    def forward(self, images: torch.Tensor) -> Dict[str, torch.Tensor]:
        x = images
        if self.resize and (x.shape[2] != self.size[0] or x.shape[3] != self.size[1]):
            x = F.interpolate(x, size=self.size, mode="bilinear", align_corners=False)
        if self.bgr:
            x = x.flip(1)
        x = (x * self.scale - self.mean) / self.std
        return self.body(x)


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--arch", default="alexnet",
                    help="alexnet (built in) or torchvision:NAME (needs python3-torchvision)")
    ap.add_argument("--module", help="FILE.py:NAME, your own nn.Module class/factory")
    ap.add_argument("--num-classes", type=int, default=1000)
    w = ap.add_mutually_exclusive_group(required=True)
    w.add_argument("--weights", help="state dict file (torch.save); 'module.' prefixes dropped")
    w.add_argument("--random-weights", action="store_true",
                   help="keep the random initialization (benchmarks only)")
    ap.add_argument("--seed", type=int, default=0, help="seed for --random-weights")
    ap.add_argument("--taps", nargs="+",
                    help="NAME=MODULE.PATH ... (default for alexnet: conv1..conv5, fc6..fc8)")
    ap.add_argument("--input-size", type=int, nargs="+", default=None,
                    help="resize inputs to S (or H W) first; default 224 for alexnet, none "
                         "otherwise; 0 = no resize")
    ap.add_argument("--channels", type=int, default=3,
                    help="input channels of the example batch (check / trace)")
    ap.add_argument("--example-size", type=int, nargs="+", default=None,
                    help="H W of the example batch (check / trace); default: --input-size, "
                         "else 224")
    ap.add_argument("--bgr", action="store_true", help="reverse the channel order (Caffe models)")
    ap.add_argument("--scale", type=float, default=1.0,
                    help="multiply [0,1] pixels by this before mean/std (255 for Caffe models)")
    ap.add_argument("--mean", type=float, nargs="+", default=None,
                    help="per-channel mean, in the network's channel order and --scale units "
                         "(default: torchvision's ImageNet mean)")
    ap.add_argument("--std", type=float, nargs="+", default=None,
                    help="per-channel std (default: torchvision's ImageNet std)")
    ap.add_argument("--mode", choices=["script", "trace"], default="script",
                    help="torch.jit.script (default) or torch.jit.trace(strict=False)")
    ap.add_argument("--out", required=True)
    ap.add_argument("--threads", type=int, default=2)
    args = ap.parse_args()

    torch.manual_seed(args.seed)
    torch.set_num_threads(args.threads)
    model = build_model(args)
    if args.weights:
        load_weights(model, args.weights)
    model.eval()
    n_inplace = disable_inplace(model)

    tap_specs = args.taps or (ALEXNET_TAPS if args.arch == "alexnet" and not args.module else None)
    if not tap_specs:
        raise SystemExit("--taps NAME=MODULE.PATH ... is required for this model")
    taps = parse_taps(tap_specs)
    size = args.input_size
    if size is None:
        size = [224] if args.arch == "alexnet" and not args.module else [0]
    if size == [0]:
        size = []
    elif len(size) == 1:
        size = size * 2
    mean = args.mean if args.mean is not None else TORCHVISION_MEAN
    std = args.std if args.std is not None else TORCHVISION_STD
    if len(mean) != len(std):
        raise SystemExit("--mean and --std need the same number of values")

    body = tapped_graph_module(model, taps)
    wrapper = TapNetwork(body, size, args.bgr, args.scale, mean, std).eval()
    ex = args.example_size or size or [224]
    h, w_ = ex * 2 if len(ex) == 1 else ex
    example = torch.rand(2, args.channels, h, w_, generator=torch.Generator().manual_seed(1))
    if args.mode == "script":
        exported = torch.jit.script(wrapper)
    else:
        exported = torch.jit.trace(wrapper, example, strict=False)
    os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
    torch.jit.save(exported, args.out)
    write_sha256_sidecar(args.out)  # xdream refuses the file if it changes after this

    # check: reload, compare every tap with forward hooks on the original (eager) model
    loaded = torch.jit.load(args.out).eval()
    modules = dict(model.named_modules())
    ref = {}
    hooks = [modules[p].register_forward_hook(
        lambda m, i, o, name=name: ref.__setitem__(name, o.detach().clone()))
        for name, p in taps.items()]
    with torch.no_grad():
        x = example
        if size:
            x = F.interpolate(x, size=size, mode="bilinear", align_corners=False)
        if args.bgr:
            x = x.flip(1)
        model((x * args.scale - wrapper.mean) / wrapper.std)
        got = loaded(example)
    for hk in hooks:
        hk.remove()
    if list(got.keys()) != list(taps.keys()):
        raise SystemExit(f"exported keys {list(got.keys())} != taps {list(taps.keys())}")
    worst = max(float((got[k] - ref[k]).abs().max()) for k in taps)
    print(f"wrote {args.out} ({os.path.getsize(args.out) / 1e6:.1f} MB); "
          f"{n_inplace} in-place activations made out-of-place; max |exported - eager| = {worst:.2e}")
    for k in taps:
        print(f"  tap {k} = {taps[k]}: shape {list(got[k].shape[1:])}, "
              f"min {float(got[k].min()):.3f} (negative values = pre-ReLU)")
    if worst > 1e-4:
        raise SystemExit("exported taps differ from the eager model")
    print_forward_time(loaded, torch.rand(20, args.channels, h, w_), args.threads)


if __name__ == "__main__":
    main()
