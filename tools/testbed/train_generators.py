#!/usr/bin/python3
"""The extra generators of the generator comparison (docs/results.md).

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
                statistics of real fc7 features. Methods features(codes), encode(fc7); attribute
                code_size (256).
  fc8.pt        the same for fc8 (the 10 class logits): a 10-d code space (optional, --taps).

Deterministic on CPU (seeded, deterministic algorithms, fixed thread count; the BLAS kernels
count too, see OPENBLAS_CORETYPE in train.py). Run with Debian's interpreter:
    /usr/bin/python3 tools/testbed/train_generators.py
"""
import argparse
import json
import os
import sys
import time

import torch
import torch.nn.functional as F
from torch import nn

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path[:0] = [HERE, os.path.dirname(HERE)]  # this folder (nets, fmnist, training) and tools/
import fmnist  # noqa: E402
import nets  # noqa: E402
from training import batched, save_script, to_labels, to_tensor, train_decoder  # noqa: E402
from xdream_common import sha256_file  # noqa: E402
REPO = os.path.abspath(os.path.join(HERE, "..", ".."))


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
    """Standardized code [N,D] -> image: decoder(code_mean + code @ code_matrix^T), the code
    convention of nets.Generator for the features of any classifier tap. The scripted methods
    stay here, in these words and at these lines: torch.jit.script records their source text,
    file and line numbers in the exported file, so moving them (into nets.py, say) would change
    the bytes of the committed fc7.pt."""

    code_size: int

    def __init__(self, decoder: nn.Module, mean, matrix, inverse):
        super().__init__()
        nets.set_code_space(self, decoder, mean, matrix, inverse)

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


def save_and_reload(module, path):
    """Script and save module, then return the saved file loaded back (what C++ will see)."""
    save_script(module, path)
    return torch.jit.load(path).eval()


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
    x = to_tensor(xtr)
    x_test, y_test = to_tensor(xte), to_labels(yte)

    manifest = {
        "description": "Extra generators of the generator comparison (docs/results.md); written by "
                       "tools/testbed/train_generators.py",
        "classifier": {"file": os.path.relpath(args.classifier, REPO), "sha256": sha256_file(args.classifier)},
        "command": "/usr/bin/python3 tools/testbed/train_generators.py" + "".join(f" {a}" for a in sys.argv[1:]),
        "arguments": {k: v for k, v in vars(args).items() if k not in ("out", "classifier", "data")},
        "torch": torch.__version__,
        "generators": {},
    }

    raw = save_and_reload(RawPixelGenerator(), os.path.join(args.out, "raw_pixel.pt"))
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
        mean, matrix, inverse, _ = nets.zca_colouring(feats)
        decoder = train_decoder(classifier, x, feats, tap, args.seed + i, args.steps, args.batch,
                                args.lr, args.w_pix, args.w_conv3, args.w_tap, log)
        path = os.path.join(args.out, f"{tap}.pt")
        g = save_and_reload(FeatureGenerator(decoder, mean, matrix, inverse), path)
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
            "parameters": nets.count_parameters(decoder),
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
