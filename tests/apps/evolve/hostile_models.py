#!/usr/bin/python3
"""Writes the broken models of the hostile-input suite (tests/apps/evolve/hostile_test.sh) into a
directory, each a TorchScript wrapper around the bundled classifier or generator that breaks the
model contract in one way, and damaged copies of the bundled files.

    /usr/bin/python3 tests/apps/evolve/hostile_models.py MODELS_DIR OUT_DIR
"""
import hashlib
import os
import shutil
import sys
import zipfile
from typing import Dict

import torch
from torch import nn


class DoubledRows(nn.Module):
    """Every tap has 2N rows for N images (torch.cat([y, y]))."""

    def __init__(self, inner):
        super().__init__()
        self.inner = inner

    def forward(self, x: torch.Tensor) -> Dict[str, torch.Tensor]:
        out: Dict[str, torch.Tensor] = {}
        for key, value in self.inner(x).items():
            out[key] = torch.cat([value, value])
        return out


class DoubledOnBatches(nn.Module):
    """Correct for batches of `lo` images or fewer, 2N rows above: passes the load-time probe
    (one image), breaks on a real batch."""

    def __init__(self, inner, lo: int):
        super().__init__()
        self.inner = inner
        self.lo = lo

    def forward(self, x: torch.Tensor) -> Dict[str, torch.Tensor]:
        out: Dict[str, torch.Tensor] = {}
        for key, value in self.inner(x).items():
            out[key] = torch.cat([value, value]) if x.size(0) > self.lo else value
        return out


class DoubledOnSize(nn.Module):
    """Correct unless a batch has exactly `size` images (a generation of the GA: 20)."""

    def __init__(self, inner, size: int):
        super().__init__()
        self.inner = inner
        self.size = size

    def forward(self, x: torch.Tensor) -> Dict[str, torch.Tensor]:
        out: Dict[str, torch.Tensor] = {}
        for key, value in self.inner(x).items():
            out[key] = torch.cat([value, value]) if x.size(0) == self.size else value
        return out


class NanAfter(nn.Module):
    """Correct for its first `calls` forward passes, NaN everywhere after: a unit that dies in
    the middle of a run."""

    def __init__(self, inner, calls: int):
        super().__init__()
        self.inner = inner
        self.calls = calls
        self.seen = 0

    def forward(self, x: torch.Tensor) -> Dict[str, torch.Tensor]:
        self.seen += 1
        out: Dict[str, torch.Tensor] = {}
        for key, value in self.inner(x).items():
            out[key] = value * float("nan") if self.seen > self.calls else value
        return out


class Cast(nn.Module):
    """Every tap cast to another dtype (int, bool, complex)."""

    def __init__(self, inner, kind: int):
        super().__init__()
        self.inner = inner
        self.kind = kind

    def forward(self, x: torch.Tensor) -> Dict[str, torch.Tensor]:
        out: Dict[str, torch.Tensor] = {}
        for key, value in self.inner(x).items():
            if self.kind == 0:
                out[key] = value.to(torch.int32)
            elif self.kind == 1:
                out[key] = value > 0
            else:
                out[key] = torch.complex(value, value)
        return out


class Scalar(nn.Module):
    """A tensor network whose output has no batch dimension (a 0-dim sum)."""

    def __init__(self, inner):
        super().__init__()
        self.inner = inner

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.inner(x)["fc8"].sum()


class Listing(nn.Module):
    """Returns a list: neither a Tensor nor a dict."""

    def __init__(self, inner):
        super().__init__()
        self.inner = inner

    def forward(self, x: torch.Tensor):
        return [self.inner(x)["fc8"]]


class Raising(nn.Module):
    """Raises on batches of more than one image."""

    def __init__(self, inner):
        super().__init__()
        self.inner = inner

    def forward(self, x: torch.Tensor) -> Dict[str, torch.Tensor]:
        if x.size(0) > 1:
            raise RuntimeError("this network takes one image at a time")
        return self.inner(x)


class GeneratorNanOnBatches(nn.Module):
    """A generator correct on the load-time probe (two codes), NaN images on real batches."""

    def __init__(self, inner, lo: int):
        super().__init__()
        self.inner = inner
        self.lo = lo
        self.code_size = inner.code_size

    def forward(self, codes: torch.Tensor) -> torch.Tensor:
        images = self.inner(codes)
        return images * float("nan") if codes.size(0) > self.lo else images


class GeneratorCodeSize(nn.Module):
    """The bundled generator with another code_size attribute."""

    def __init__(self, inner, code_size: int):
        super().__init__()
        self.inner = inner
        self.code_size = code_size

    def forward(self, codes: torch.Tensor) -> torch.Tensor:
        return self.inner(codes)


class GeneratorInt(nn.Module):
    """Integer images."""

    def __init__(self, inner):
        super().__init__()
        self.inner = inner
        self.code_size = inner.code_size

    def forward(self, codes: torch.Tensor) -> torch.Tensor:
        return (self.inner(codes) * 255).to(torch.int32)


class GeneratorBadEncode(nn.Module):
    """A generator whose encode returns codes of the wrong length."""

    def __init__(self, inner):
        super().__init__()
        self.inner = inner
        self.code_size = inner.code_size

    def forward(self, codes: torch.Tensor) -> torch.Tensor:
        return self.inner(codes)

    @torch.jit.export
    def encode(self, features: torch.Tensor) -> torch.Tensor:
        return features[:, :3]


def sha256(path):
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


def flip_byte(src, dst, where):
    data = bytearray(open(src, "rb").read())
    data[where] ^= 0x40
    open(dst, "wb").write(bytes(data))


def main():
    models, out = sys.argv[1], sys.argv[2]
    os.makedirs(out, exist_ok=True)
    classifier = torch.jit.load(os.path.join(models, "classifier.pt"))
    generator = torch.jit.load(os.path.join(models, "generator.pt"))
    networks = {
        "doubled_rows": DoubledRows(classifier),
        "doubled_on_batches": DoubledOnBatches(classifier, 1),
        "doubled_on_generations": DoubledOnSize(classifier, 20),
        "nan_everywhere": NanAfter(classifier, 0),
        "nan_after_30": NanAfter(classifier, 30),
        "int_taps": Cast(classifier, 0),
        "bool_taps": Cast(classifier, 1),
        "complex_taps": Cast(classifier, 2),
        "scalar_output": Scalar(classifier),
        "list_output": Listing(classifier),
        "raising": Raising(classifier),
    }
    for name, module in networks.items():
        torch.jit.save(torch.jit.script(module), os.path.join(out, name + ".pt"))
    generators = {
        "generator_nan_on_batches": GeneratorNanOnBatches(generator, 2),
        "generator_code_size_huge": GeneratorCodeSize(generator, 2 ** 40),
        "generator_code_size_zero": GeneratorCodeSize(generator, 0),
        "generator_int": GeneratorInt(generator),
        "generator_bad_encode": GeneratorBadEncode(generator),
    }
    for name, module in generators.items():
        torch.jit.save(torch.jit.script(module), os.path.join(out, name + ".pt"))

    # Damaged copies with the sha256 the export tools record beside a model (FILE.sha256).
    source = os.path.join(models, "classifier.pt")
    recorded = sha256(source)
    with zipfile.ZipFile(source) as archive:
        weights = [i for i in archive.infolist() if "/data/" in i.filename]
        largest = max(weights, key=lambda i: i.file_size)
        weight_byte = largest.header_offset + 30 + len(largest.filename) + largest.file_size // 2
    size = os.path.getsize(source)
    for name, where in (("flipped_weights", weight_byte), ("flipped_directory", size - 40)):
        path = os.path.join(out, name + ".pt")
        flip_byte(source, path, where)
        with open(path + ".sha256", "w") as f:
            f.write(f"{recorded}  {name}.pt\n")
    shutil.copy(source, os.path.join(out, "truncated.pt"))
    with open(os.path.join(out, "truncated.pt"), "r+b") as f:
        f.truncate(size // 2)
    open(os.path.join(out, "empty.pt"), "wb").close()
    # A correct copy with a correct sidecar: must load.
    shutil.copy(source, os.path.join(out, "verified.pt"))
    with open(os.path.join(out, "verified.pt.sha256"), "w") as f:
        f.write(f"{recorded}  verified.pt\n")


if __name__ == "__main__":
    main()
