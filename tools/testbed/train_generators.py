#!/usr/bin/python3
"""The extra generators of the generator comparison (issue 5, docs/results.md).

Writes into models/fashion_mnist/generators/ (with manifest.json: sha256, code size, training
settings and the classifier it was trained against):

  raw_pixel.pt  the code IS the image: codes [N,784] -> images [N,1,28,28],
                image = clamp(0.5 + 0.5 * code, 0, 1), row-major 28x28. An N(0,1) code is grey
                noise around 0.5 (about a third of its pixels saturate at 0 or 1); the GA's codes
                are never clipped, only their images.
  fc7.pt        a DeePSiM-like decoder (tools/testbed/nets.py Decoder) that inverts the bundled
                classifier's fc7 (pre-ReLU, 256-d), trained like the bundled fc6 generator (pixel
                + conv3 + fc7 feature losses), with the bundled generator's code convention: the
                code is ZCA-standardized fc7, fc7 = code_mean + code @ code_matrix^T (mean and
                covariance^(1/2) over the 60k training images), so N(0,1) codes have the
                statistics of real fc7 features. Methods fc7(codes), encode(fc7); attribute
                code_size (256).
  fc8.pt        the same for fc8 (the 10 class logits): a 10-d code space (optional, --taps).

Deterministic on CPU (seeded, deterministic algorithms, fixed thread count). Run with Debian's
interpreter:
    /usr/bin/python3 tools/testbed/train_generators.py
"""
import argparse
import hashlib
import json
import os
import sys
import time

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import fmnist  # noqa: E402
import nets  # noqa: E402

REPO = os.path.abspath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))


class RawPixelGenerator(nn.Module):
    """codes [N,784] -> images [N,1,28,28] = clamp(0.5 + 0.5 * code, 0, 1)."""

    code_size: int

    def __init__(self, height: int = 28, width: int = 28):
        super().__init__()
        self.code_size = height * width
        self.height = height
        self.width = width

    def forward(self, codes: torch.Tensor) -> torch.Tensor:
        return (0.5 + 0.5 * codes).clamp(0.0, 1.0).view(codes.shape[0], 1, self.height, self.width)

    @torch.jit.export
    def encode(self, images: torch.Tensor) -> torch.Tensor:
        """images [N,1,28,28] (or [N,784]) in [0,1] -> codes (2 * pixel - 1)."""
        return (images.reshape(images.shape[0], -1) - 0.5) * 2.0


class FeatureGenerator(nn.Module):
    """Standardized code [N,D] -> image: decoder(code_mean + code @ code_matrix^T)."""

    code_size: int

    def __init__(self, decoder: nn.Module, mean, matrix, inverse):
        super().__init__()
        self.code_size = int(mean.shape[0])
        self.decoder = decoder
        self.register_buffer("code_mean", mean.detach().clone().float())
        self.register_buffer("code_matrix", matrix.detach().clone().float())
        self.register_buffer("code_inverse", inverse.detach().clone().float())

    def forward(self, codes: torch.Tensor) -> torch.Tensor:
        return self.decoder(self.features(codes))

    @torch.jit.export
    def features(self, codes: torch.Tensor) -> torch.Tensor:
        """codes -> the classifier features (of the trained tap) they stand for."""
        return self.code_mean + codes @ self.code_matrix.t()

    @torch.jit.export
    def encode(self, features: torch.Tensor) -> torch.Tensor:
        """classifier features of the trained tap -> codes."""
        return (features - self.code_mean) @ self.code_inverse.t()


def zca(features, eps=1e-6):
    f = features.double()
    mean = f.mean(0)
    cov = torch.cov(f.T)
    evals, evecs = torch.linalg.eigh(cov)
    evals = evals.clamp_min(eps)
    matrix = evecs @ torch.diag(evals.sqrt()) @ evecs.T
    inverse = evecs @ torch.diag(evals.rsqrt()) @ evecs.T
    return mean.float(), matrix.float(), inverse.float()


def sha256_file(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


@torch.no_grad()
def batched(fn, x, batch=1000):
    return torch.cat([fn(x[i:i + batch]) for i in range(0, x.shape[0], batch)])


def save(module, path):
    scripted = torch.jit.script(module.eval())
    tmp = path + ".tmp"
    torch.jit.save(scripted, tmp)
    os.replace(tmp, path)
    return torch.jit.load(path).eval()


def train_decoder(tap, classifier, x, feats, steps, batch, lr, w_pix, w_conv3, w_tap, seed, log):
    torch.manual_seed(seed)
    gen = torch.Generator().manual_seed(seed)
    decoder = nets.Decoder(code=feats.shape[1])
    std = feats.std(0).clamp_min(1e-3)
    opt = torch.optim.Adam(decoder.parameters(), lr=lr)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=lr, total_steps=steps)
    perm, pos, t0 = torch.randperm(x.shape[0], generator=gen), 0, time.time()
    for step in range(steps):
        if pos + batch > x.shape[0]:
            perm, pos = torch.randperm(x.shape[0], generator=gen), 0
        idx = perm[pos:pos + batch]
        pos += batch
        xb, fb = x[idx], feats[idx]
        with torch.no_grad():
            target = classifier(xb)
        out = decoder(fb)
        got = classifier(out)
        l_pix = F.mse_loss(out, xb)
        l_conv3 = F.mse_loss(got["conv3"], target["conv3"])
        l_tap = F.mse_loss(got[tap] / std, target[tap] / std)
        loss = w_pix * l_pix + w_conv3 * l_conv3 + w_tap * l_tap
        opt.zero_grad()
        loss.backward()
        opt.step()
        sched.step()
        if (step + 1) % 50 == 0 or step + 1 == steps:
            log(f"{tap} decoder step {step + 1}/{steps}: loss {loss.item():.4f} (pixel {l_pix.item():.4f}, "
                f"conv3 {l_conv3.item():.4f}, {tap} {l_tap.item():.4f}), {time.time() - t0:.1f} s")
    return decoder.eval()


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--classifier", default=os.path.join(REPO, "models", "fashion_mnist", "classifier.pt"))
    ap.add_argument("--out", default=os.path.join(REPO, "models", "fashion_mnist", "generators"))
    ap.add_argument("--data", default=fmnist.DATA_DIR)
    ap.add_argument("--taps", nargs="*", default=["fc7"])
    ap.add_argument("--seed", type=int, default=20240612)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--steps", type=int, default=250)
    ap.add_argument("--batch", type=int, default=100)
    ap.add_argument("--lr", type=float, default=2e-3)
    ap.add_argument("--w-pix", type=float, default=1.0)
    ap.add_argument("--w-conv3", type=float, default=0.02)
    ap.add_argument("--w-tap", type=float, default=0.02)
    args = ap.parse_args()

    torch.set_num_threads(args.threads)
    torch.set_num_interop_threads(1)
    torch.use_deterministic_algorithms(True)
    log = lambda m: print(m, flush=True)  # noqa: E731
    os.makedirs(args.out, exist_ok=True)
    t_start = time.time()

    classifier = torch.jit.load(args.classifier).eval()
    for p in classifier.parameters():
        p.requires_grad_(False)
    xtr, _ = fmnist.load("train", args.data)
    xte, yte = fmnist.load("t10k", args.data)
    x = torch.from_numpy(xtr.astype(np.float32) / 255.0).unsqueeze(1)
    x_test = torch.from_numpy(xte.astype(np.float32) / 255.0).unsqueeze(1)
    y_test = torch.from_numpy(yte.astype(np.int64))

    manifest = {
        "description": "Extra generators of the generator comparison (docs/results.md); written by "
                       "tools/testbed/train_generators.py",
        "classifier": {"file": os.path.relpath(args.classifier, REPO), "sha256": sha256_file(args.classifier)},
        "command": "/usr/bin/python3 tools/testbed/train_generators.py" + "".join(f" {a}" for a in sys.argv[1:]),
        "arguments": {k: v for k, v in vars(args).items() if k not in ("out", "classifier", "data")},
        "torch": torch.__version__,
        "generators": {},
    }

    raw = save(RawPixelGenerator(), os.path.join(args.out, "raw_pixel.pt"))
    with torch.no_grad():
        z = raw.encode(x_test[:5])
        assert float((raw(z) - x_test[:5]).abs().max()) < 1e-6
    manifest["generators"]["raw_pixel"] = {
        "file": "raw_pixel.pt", "sha256": sha256_file(os.path.join(args.out, "raw_pixel.pt")),
        "code_size": 784, "output": [1, 28, 28],
        "code_space": "the image itself: image = clamp(0.5 + 0.5 * code, 0, 1), row-major; "
                      "encode(images) = 2 * image - 1"}

    for i, tap in enumerate(args.taps):
        t0 = time.time()
        with torch.no_grad():
            feats = batched(lambda b: classifier(b)[tap], x)
        mean, matrix, inverse = zca(feats)
        decoder = train_decoder(tap, classifier, x, feats, args.steps, args.batch, args.lr, args.w_pix,
                                args.w_conv3, args.w_tap, args.seed + i, log)
        path = os.path.join(args.out, f"{tap}.pt")
        g = save(FeatureGenerator(decoder, mean, matrix, inverse), path)
        with torch.no_grad():
            f_test = batched(lambda b: classifier(b)[tap], x_test)
            rec = batched(g, g.encode(f_test))
            rec_mse = float(F.mse_loss(rec, x_test))
            rec_acc = float((batched(lambda b: classifier(b)["fc8"].argmax(1), rec) == y_test).float().mean())
            codes = torch.randn(1000, g.code_size, generator=torch.Generator().manual_seed(args.seed))
            imgs = g(codes)
            assert imgs.shape == (1000, 1, 28, 28) and float(imgs.min()) >= 0 and float(imgs.max()) <= 1
        log(f"{tap}: test reconstructions pixel MSE {rec_mse:.4f}, classified as the original {rec_acc:.4f}, "
            f"{time.time() - t0:.1f} s")
        manifest["generators"][tap] = {
            "file": f"{tap}.pt", "sha256": sha256_file(path), "code_size": int(g.code_size),
            "output": [1, 28, 28], "encode_tap": tap,
            "code_space": f"ZCA-standardized classifier {tap} (pre-ReLU): {tap} = code_mean + code @ "
                          f"code_matrix^T; methods features(codes), encode({tap})",
            "parameters": sum(p.numel() for p in decoder.parameters()),
            "test_reconstruction_pixel_mse": rec_mse,
            "test_reconstruction_label_accuracy": rec_acc,
            "seconds": round(time.time() - t0, 1)}
    manifest["total_seconds"] = round(time.time() - t_start, 1)
    with open(os.path.join(args.out, "manifest.json.tmp"), "w") as f:
        json.dump(manifest, f, indent=1)
        f.write("\n")
    os.replace(os.path.join(args.out, "manifest.json.tmp"), os.path.join(args.out, "manifest.json"))
    log(f"wrote {args.out} in {manifest['total_seconds']} s")


if __name__ == "__main__":
    main()
