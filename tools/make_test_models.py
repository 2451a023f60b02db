#!/usr/bin/python3
"""Write the tiny TorchScript models used by xdream's C++ tests into tests/data/torch/.

Every weight is given by a closed formula (no random numbers), so the C++ tests can recompute
the expected outputs exactly; tests/data/torch/README.md (also written by this script) lists the
formulas and the expected outputs for fixed inputs.

    /usr/bin/python3 tools/make_test_models.py [--out tests/data/torch]
"""
import argparse
import os
from typing import Dict, List, Tuple

import numpy as np
import torch
from torch import nn

from xdream_common import reexec_with_fixed_hash_seed, sha256_file

REPO = os.path.abspath(os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

CODE = 8             # generator code size
C, H, W = 3, 4, 4    # generator image shape / network input shape
OUT = C * H * W      # 48
CONV_OUT = 2         # conv tap channels (2x2 kernel, no padding -> 3x3)
FC_OUT = 5


# ---- the formulas (float64 numpy; cast to float32 when stored) -----------------------------
def gen_weight():
    """G[j, k] = ((3*j + 5*k) % 11 - 5) / 10, j in [0,48), k in [0,8)."""
    j, k = np.meshgrid(np.arange(OUT), np.arange(CODE), indexing="ij")
    return ((3 * j + 5 * k) % 11 - 5) / 10.0


def gen_bias():
    """g[j] = (j % 5 - 2) / 10."""
    return (np.arange(OUT) % 5 - 2) / 10.0


def conv_weight():
    """K[o, i, u, v] = ((o*12 + i*4 + u*2 + v) % 5 - 2) / 4, shape [2, 3, 2, 2]."""
    o, i, u, v = np.meshgrid(np.arange(CONV_OUT), np.arange(C), np.arange(2), np.arange(2),
                             indexing="ij")
    return ((o * 12 + i * 4 + u * 2 + v) % 5 - 2) / 4.0


def conv_bias():
    """kb = [-0.5, 0.25]."""
    return np.array([-0.5, 0.25])


def fc_weight():
    """F[f, j] = ((f*18 + j) % 7 - 3) / 10, shape [5, 18]; j indexes relu(conv) flattened as
    (channel, y, x) in row-major order."""
    f, j = np.meshgrid(np.arange(FC_OUT), np.arange(CONV_OUT * 9), indexing="ij")
    return ((f * 18 + j) % 7 - 3) / 10.0


def fc_bias():
    """fb[f] = f / 10 - 0.2."""
    return np.arange(FC_OUT) / 10.0 - 0.2


def t32(a):
    return torch.tensor(np.asarray(a), dtype=torch.float32)


# ---- modules --------------------------------------------------------------------------------
class TinyGenerator(nn.Module):
    """codes [N,8] -> sigmoid(codes @ G^T + g).view(N,3,4,4)."""

    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(CODE, OUT)
        with torch.no_grad():
            self.fc.weight.copy_(t32(gen_weight()))
            self.fc.bias.copy_(t32(gen_bias()))

    def forward(self, codes: torch.Tensor) -> torch.Tensor:
        return torch.sigmoid(self.fc(codes)).view(codes.shape[0], 3, 4, 4)


class BadGeneratorRange(TinyGenerator):
    """tiny_generator(codes) + 1: every value in (1, 2) for any code, violating [0, 1]."""

    def forward(self, codes: torch.Tensor) -> torch.Tensor:
        return torch.sigmoid(self.fc(codes)).view(codes.shape[0], 3, 4, 4) + 1.0


class BadGeneratorShape(nn.Module):
    """codes [N,8] -> sigmoid(codes @ G[:7]^T + g[:7]) of shape [N,7]: not 4-d."""

    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(CODE, 7)
        with torch.no_grad():
            self.fc.weight.copy_(t32(gen_weight()[:7]))
            self.fc.bias.copy_(t32(gen_bias()[:7]))

    def forward(self, codes: torch.Tensor) -> torch.Tensor:
        return torch.sigmoid(self.fc(codes))


class TinyBody(nn.Module):
    """Shared body: conv = conv2d(x, K, kb) (pre-ReLU, [N,2,3,3]);
    fc = flatten(relu(conv)) @ F^T + fb ([N,5])."""

    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(C, CONV_OUT, 2)
        self.relu = nn.ReLU()
        self.fc = nn.Linear(CONV_OUT * 9, FC_OUT)
        with torch.no_grad():
            self.conv.weight.copy_(t32(conv_weight()))
            self.conv.bias.copy_(t32(conv_bias()))
            self.fc.weight.copy_(t32(fc_weight()))
            self.fc.bias.copy_(t32(fc_bias()))


class TinyNetworkDict(TinyBody):
    def forward(self, images: torch.Tensor) -> Dict[str, torch.Tensor]:
        conv = self.conv(images)
        fc = self.fc(torch.flatten(self.relu(conv), 1))
        return {"conv": conv, "fc": fc}


class TinyNetworkTensor(TinyBody):
    def forward(self, images: torch.Tensor) -> torch.Tensor:
        return self.fc(torch.flatten(self.relu(self.conv(images)), 1))


class BadNetworkList(TinyBody):
    def forward(self, images: torch.Tensor) -> List[torch.Tensor]:
        conv = self.conv(images)
        return [conv, self.fc(torch.flatten(self.relu(conv), 1))]


class BadNetworkTuple(TinyBody):
    def forward(self, images: torch.Tensor) -> Tuple[torch.Tensor, torch.Tensor]:
        conv = self.conv(images)
        return conv, self.fc(torch.flatten(self.relu(conv), 1))


FILES = [
    ("tiny_generator.pt", TinyGenerator,
     "generator, codes [N,8] -> [N,3,4,4] in (0,1): sigmoid(codes @ G^T + g).view(N,3,4,4)"),
    ("tiny_network_dict.pt", TinyNetworkDict,
     "network, [N,3,4,4] -> Dict{\"conv\": [N,2,3,3] (pre-ReLU), \"fc\": [N,5]}"),
    ("tiny_network_tensor.pt", TinyNetworkTensor,
     "network, [N,3,4,4] -> Tensor [N,5] (= the dict model's \"fc\"); submodules named "
     "\"conv\" (Conv2d), \"relu\" (ReLU), \"fc\" (Linear)"),
    ("bad_generator_range.pt", BadGeneratorRange,
     "BAD generator: tiny_generator(codes) + 1, shape [N,3,4,4], every value in (1, 2)"),
    ("bad_generator_shape.pt", BadGeneratorShape,
     "BAD generator: codes [N,8] -> [N,7] (2-d, not [N,C,H,W])"),
    ("bad_network_output.pt", BadNetworkList,
     "BAD network: returns List[Tensor] [conv, fc] (neither Tensor nor Dict[str, Tensor])"),
    ("bad_network_tuple.pt", BadNetworkTuple,
     "BAD network: returns Tuple[Tensor, Tensor] (conv, fc)"),
]


# ---- reference outputs (float64 numpy) ------------------------------------------------------
def sigmoid(a):
    return 1.0 / (1.0 + np.exp(-a))


def ref_generator(codes):
    return sigmoid(codes @ gen_weight().T + gen_bias()).reshape(-1, C, H, W)


def ref_network(x):
    n = x.shape[0]
    k, kb = conv_weight(), conv_bias()
    conv = np.zeros((n, CONV_OUT, 3, 3))
    for o in range(CONV_OUT):
        for y in range(3):
            for xx in range(3):
                conv[:, o, y, xx] = (x[:, :, y:y + 2, xx:xx + 2] * k[o]).sum(axis=(1, 2, 3)) + kb[o]
    fc = np.maximum(conv, 0).reshape(n, -1) @ fc_weight().T + fc_bias()
    return conv, fc


def codes_ramp():
    """codes[n, k] = (k - 3.5) / 2 + n, n in {0, 1}: a 2x8 batch."""
    return np.array([[(k - 3.5) / 2 + n for k in range(CODE)] for n in range(2)])


def images_ramp():
    """x[n, c, y, x] = ((c*16 + y*4 + x) / 47) ** (n + 1), n in {0, 1}: a 2x3x4x4 batch."""
    j = np.arange(OUT).reshape(C, H, W) / 47.0
    return np.stack([j, j ** 2])


def fmt(a, digits=7):
    a = np.asarray(a)
    if a.ndim == 0:
        return f"{float(a):.{digits}g}"
    return "[" + ", ".join(fmt(v, digits) for v in a) + "]"


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", default=os.path.join(REPO, "tests", "data", "torch"))
    args = ap.parse_args()
    os.makedirs(args.out, exist_ok=True)
    torch.set_num_threads(1)

    for name, cls, _ in FILES:
        m = torch.jit.script(cls().eval())
        torch.jit.save(m, os.path.join(args.out, name))

    # verify: reload and compare with the float64 formulas
    load = {name: torch.jit.load(os.path.join(args.out, name)).eval() for name, _, _ in FILES}
    tol = 1e-6
    with torch.no_grad():
        for codes in (np.full((2, CODE), 0.5), np.zeros((1, CODE)), codes_ramp()):
            got = load["tiny_generator.pt"](t32(codes)).double().numpy()
            assert got.shape == (codes.shape[0], C, H, W)
            assert np.abs(got - ref_generator(codes)).max() < tol
            bad = load["bad_generator_range.pt"](t32(codes)).double().numpy()
            assert np.abs(bad - (ref_generator(codes) + 1)).max() < 2 * tol
            assert bad.min() > 1
            bs = load["bad_generator_shape.pt"](t32(codes))
            assert tuple(bs.shape) == (codes.shape[0], 7)
        for x in (np.full((2, C, H, W), 0.5), images_ramp()):
            conv, fc = ref_network(x)
            d = load["tiny_network_dict.pt"](t32(x))
            assert list(d.keys()) == ["conv", "fc"]
            assert np.abs(d["conv"].double().numpy() - conv).max() < tol
            assert np.abs(d["fc"].double().numpy() - fc).max() < tol
            t = load["tiny_network_tensor.pt"](t32(x))
            assert np.abs(t.double().numpy() - fc).max() < tol
            lst = load["bad_network_output.pt"](t32(x))
            assert isinstance(lst, list) and len(lst) == 2
            tup = load["bad_network_tuple.pt"](t32(x))
            assert isinstance(tup, tuple) and len(tup) == 2
        half_img = np.full((2, C, H, W), 0.5)
        conv_half, _ = ref_network(half_img)
        assert conv_half.min() < 0 < conv_half.max(), "conv tap must show pre-ReLU negatives"
    names = [n for n, _ in load["tiny_network_tensor.pt"].named_children()]
    assert names == ["conv", "relu", "fc"], names

    write_readme(args.out)
    for name, _, _ in FILES:
        p = os.path.join(args.out, name)
        print(f"{name}: {os.path.getsize(p)} bytes, sha256 {sha256_file(p)}")


def write_readme(out):
    L = []
    w = L.append
    w("# Tiny TorchScript models for the C++ tests")
    w("")
    w("Written by `/usr/bin/python3 tools/make_test_models.py` (torch "
      f"{torch.__version__}, `torch.jit.script`, eval mode). Every weight is a closed formula "
      "(no random numbers); the expected values below were computed in float64 from the "
      "formulas and checked against the saved files (max abs difference < 1e-6). Do not edit by "
      "hand: change the script and rerun it.")
    w("")
    w("Layouts are row-major (PyTorch default). Index conventions: generator output element "
      "`j = c*16 + y*4 + x` of image `[c, y, x]`; network input `[N, 3, 4, 4]`.")
    w("")
    w("| file | what |")
    w("|---|---|")
    for name, _, what in FILES:
        w(f"| `{name}` | {what} |")
    w("")
    w("## Formulas")
    w("")
    w("Generator (`tiny_generator.pt`; `fc` is an `nn.Linear(8, 48)`):")
    w("")
    w("- `G[j, k] = ((3*j + 5*k) % 11 - 5) / 10` for j in [0, 48), k in [0, 8)")
    w("- `g[j] = (j % 5 - 2) / 10`")
    w("- `out[n, c, y, x] = sigmoid(sum_k G[j, k] * codes[n, k] + g[j])`, `j = c*16 + y*4 + x`")
    w("- `bad_generator_range.pt`: `out + 1` (every element in (1, 2)). `bad_generator_shape.pt`: the first 7 rows of "
      "G and g, `sigmoid(codes @ G[:7]^T + g[:7])`, shape `[N, 7]`.")
    w("")
    w("Networks (`tiny_network_*.pt`, `bad_network_*.pt`; submodules `conv` = "
      "`nn.Conv2d(3, 2, 2)`, `relu` = `nn.ReLU()`, `fc` = `nn.Linear(18, 5)`):")
    w("")
    w("- `K[o, i, u, v] = ((o*12 + i*4 + u*2 + v) % 5 - 2) / 4` (shape [2, 3, 2, 2]), "
      "`kb = [-0.5, 0.25]`")
    w("- `conv[n, o, y, x] = kb[o] + sum_{i,u,v} K[o, i, u, v] * in[n, i, y+u, x+v]` "
      "(no padding, stride 1: [N, 2, 3, 3]); the tap is PRE-ReLU")
    w("- `F[f, j] = ((f*18 + j) % 7 - 3) / 10` (shape [5, 18]), `fb[f] = f/10 - 0.2`")
    w("- `fc[n, f] = fb[f] + sum_j F[f, j] * relu(conv)[n].flatten()[j]`, flatten order "
      "(o, y, x)")
    w("- `tiny_network_dict.pt` returns `{\"conv\": conv, \"fc\": fc}` (keys in that order); "
      "`tiny_network_tensor.pt` returns `fc`; `bad_network_output.pt` returns the list "
      "`[conv, fc]`; `bad_network_tuple.pt` the tuple `(conv, fc)`.")
    w("")
    w("## Expected outputs")
    w("")
    w("Values to 7 significant digits (float32 results agree to < 1e-6 absolute).")
    w("")
    for title, codes in (("codes = all 0.5 (any N; every row is the same)", np.full((1, CODE), 0.5)),
                         ("codes = all 0", np.zeros((1, CODE))),
                         ("codes[n, k] = (k - 3.5)/2 + n, N = 2", codes_ramp())):
        g = ref_generator(codes)
        w(f"### tiny_generator.pt, {title}")
        w("")
        for n in range(codes.shape[0]):
            w(f"- codes[{n}] = {fmt(codes[n])}")
            for c in range(C):
                w(f"  - out[{n}, {c}] (rows y=0..3) = {fmt(g[n, c].reshape(-1))}")
        w(f"- min {fmt(g.min())}, max {fmt(g.max())}, sum {fmt(g.sum())}")
        w(f"- bad_generator_range.pt: out + 1, min {fmt(g.min() + 1)}, max {fmt(g.max() + 1)}")
        w("")
    for title, x in (("input = all 0.5", np.full((1, C, H, W), 0.5)),
                     ("input[n, c, y, x] = ((c*16 + y*4 + x)/47)^(n+1), N = 2", images_ramp())):
        conv, fc = ref_network(x)
        w(f"### tiny_network_dict.pt / tiny_network_tensor.pt, {title}")
        w("")
        for n in range(x.shape[0]):
            for o in range(CONV_OUT):
                w(f"- conv[{n}, {o}] (3x3, row-major) = {fmt(conv[n, o].reshape(-1))}")
            w(f"- fc[{n}] = {fmt(fc[n])}")
        w("")
    w("## Checksums")
    w("")
    w("TorchScript archives embed the source file path in their debug info, so checksums match "
      "only when regenerated from the same checkout path; the formulas above are the reference.")
    w("")
    for name, _, _ in FILES:
        p = os.path.join(out, name)
        w(f"- `{name}`: {os.path.getsize(p)} bytes, sha256 `{sha256_file(p)}`")
    w("")
    with open(os.path.join(out, "README.md"), "w") as f:
        f.write("\n".join(L))


if __name__ == "__main__":
    reexec_with_fixed_hash_seed()
    main()
