#!/usr/bin/python3
"""Train and export xdream's bundled in-silico test bed (docs/testbed.md).

From the Debian package dataset-fashion-mnist this script trains, deterministically on CPU:
  1. the "brain": an AlexNet-like Fashion-MNIST classifier (tools/testbed/nets.py, Classifier),
     exported as models/fashion_mnist/classifier.pt:
     forward(images [N,1,28,28] in [0,1]) -> Dict[str, Tensor] of PRE-ReLU taps
     conv1, conv2, conv3, fc6, fc7, fc8;
  2. the generator: a DeePSiM-like decoder that inverts the classifier's fc6, trained with
     pixel + feature losses, exported as models/fashion_mnist/generator.pt:
     forward(codes [N,256]) -> images [N,1,28,28] in [0,1], where the code is standardized:
     fc6 = mean + code @ M^T, with the mean and M = covariance^(1/2) of fc6 over the training
     set (ZCA colouring), so that i.i.d. N(0,1) codes decode to garment-like images.
It then writes models/fashion_mnist/manifest.json and docs/images/testbed_generator_samples.png.

Run with Debian's interpreter (the one that has python3-torch):
    /usr/bin/python3 tools/testbed/train.py

The weights depend on the CPU kernels OpenBLAS picks for the fully connected layers. The
committed models were trained with its Cooperlake kernels; on a machine with AVX512-BF16 where
OpenBLAS picks others (SkylakeX, say), run with OPENBLAS_CORETYPE=Cooperlake to get their
weights bit for bit (weights_sha256 in manifest.json; also the same figure). The .pt bytes
further depend on the order in which TorchScript writes module constants, which is why the
script runs under PYTHONHASHSEED=0 (docs/testbed.md).
"""
import argparse
import hashlib
import json
import os
import platform
import re
import sys
import time

import numpy as np
import torch
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path[:0] = [HERE, os.path.dirname(HERE)]  # this folder (nets, fmnist, training) and tools/
import fmnist  # noqa: E402
import nets  # noqa: E402
from training import (batched, feature_std, save_script, to_labels, to_tensor,  # noqa: E402
                      train_decoder)
from xdream_common import reexec_with_fixed_hash_seed, sha256_file  # noqa: E402

REPO = os.path.abspath(os.path.join(HERE, "..", ".."))


def sha256_weights(module):
    """Hash of the raw parameter/buffer bytes in state_dict order (independent of how the
    TorchScript archive happens to be laid out)."""
    h = hashlib.sha256()
    for name, t in module.state_dict().items():
        h.update(name.encode())
        h.update(t.detach().contiguous().cpu().numpy().tobytes())
    return h.hexdigest()


def train_classifier(model, x, y, x_test, y_test, epochs, batch, lr, gen, log):
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    steps_per_epoch = x.shape[0] // batch
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=lr, epochs=epochs,
                                                steps_per_epoch=steps_per_epoch)
    for epoch in range(epochs):
        model.train()
        perm = torch.randperm(x.shape[0], generator=gen)
        t0, total = time.time(), 0.0
        for i in range(steps_per_epoch):
            idx = perm[i * batch:(i + 1) * batch]
            xb = x[idx]
            # light augmentation: random horizontal flip (garments are left/right symmetric)
            flip = torch.rand(xb.shape[0], generator=gen) < 0.5
            xb = torch.where(flip[:, None, None, None], xb.flip(3), xb)
            loss = F.cross_entropy(model(xb)["fc8"], y[idx])
            opt.zero_grad()
            loss.backward()
            opt.step()
            sched.step()
            total += loss.item()
        acc = accuracy(model, x_test, y_test)
        log(f"classifier epoch {epoch + 1}/{epochs}: train loss {total / steps_per_epoch:.4f}, "
            f"test accuracy {acc:.4f}, {time.time() - t0:.1f} s")
    model.eval()
    return acc


@torch.no_grad()
def accuracy(model, x, y):
    model.eval()
    pred = batched(lambda b: model(b)["fc8"].argmax(1), x)
    return float((pred == y).float().mean())


def sample_figure(path, generator, classifier, x_test, seed, n_cols=10):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    g = torch.Generator().manual_seed(seed)
    codes = torch.randn(3 * n_cols, generator.code_mean.shape[0], generator=g)
    with torch.no_grad():
        samples = generator(codes)
        originals = x_test[:2 * n_cols]
        recon = generator(generator.encode(classifier(originals)["fc6"]))
        pred_s = classifier(samples)["fc8"].softmax(1)
    rows = [samples[i * n_cols:(i + 1) * n_cols] for i in range(3)]
    labels = ["N(0,1) code"] * 3
    for i in range(2):
        rows.append(originals[i * n_cols:(i + 1) * n_cols])
        labels.append("test image")
        rows.append(recon[i * n_cols:(i + 1) * n_cols])
        labels.append("decoded")
    fig, axes = plt.subplots(len(rows), n_cols, figsize=(n_cols * 1.0, len(rows) * 1.12))
    for r, (row, label) in enumerate(zip(rows, labels)):
        for c in range(n_cols):
            ax = axes[r, c]
            ax.imshow(row[c, 0].numpy(), cmap="gray", vmin=0, vmax=1, interpolation="nearest")
            ax.set_xticks([])
            ax.set_yticks([])
            if r < 3:
                k = int(pred_s[r * n_cols + c].argmax())
                ax.set_title(f"{fmnist.CLASSES[k].split('/')[0]} {float(pred_s[r * n_cols + c, k]):.2f}",
                             fontsize=5.5, pad=1.5)
            if c == 0:
                ax.set_ylabel(label, fontsize=6)
    fig.suptitle("xdream test bed: Fashion-MNIST fc6 generator (rows 1-3: random codes, titled with "
                 "the classifier's top class and probability; rows 4-7: test images / their fc6 encoded and decoded)",
                 fontsize=6.5)
    fig.tight_layout(rect=(0, 0, 1, 0.97), h_pad=0.3, w_pad=0.1)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    fig.savefig(path, dpi=150)
    plt.close(fig)


def forward_time(fn, x, repeats=20):
    with torch.no_grad():
        fn(x)
        times = []
        for _ in range(repeats):
            t = time.perf_counter()
            fn(x)
            times.append(time.perf_counter() - t)
    return float(np.median(times))


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", default=os.path.join(REPO, "models", "fashion_mnist"))
    ap.add_argument("--figure", default=os.path.join(REPO, "docs", "images",
                                                     "testbed_generator_samples.png"))
    ap.add_argument("--data", default=fmnist.DATA_DIR)
    ap.add_argument("--seed", type=int, default=20240611)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--epochs", type=int, default=2)
    ap.add_argument("--batch", type=int, default=128)
    ap.add_argument("--lr", type=float, default=3e-3)
    ap.add_argument("--gen-steps", type=int, default=400)
    ap.add_argument("--gen-batch", type=int, default=100)
    ap.add_argument("--gen-lr", type=float, default=2e-3)
    ap.add_argument("--w-pix", type=float, default=1.0)
    ap.add_argument("--w-conv3", type=float, default=0.02)
    ap.add_argument("--w-fc6", type=float, default=0.02)
    ap.add_argument("--no-figure", action="store_true")
    ap.add_argument("--reuse-classifier", metavar="CLASSIFIER_PT",
                    help="skip classifier training and take its weights from an earlier "
                         "classifier.pt of this script (same seed => same weights as retraining)")
    ap.add_argument("--limit", type=int, default=0,
                    help="use only the first N training images (smoke tests only)")
    args = ap.parse_args()

    torch.set_num_threads(args.threads)
    torch.set_num_interop_threads(1)
    torch.use_deterministic_algorithms(True)
    torch.manual_seed(args.seed)
    np.random.seed(args.seed)
    gen = torch.Generator().manual_seed(args.seed)

    def log(msg):
        print(msg, flush=True)

    t_start = time.time()
    # compile the TorchScript types now: torch.jit.script reads the source files when it first
    # meets a class, and a source edited during the run must not end up in the exported files
    torch.jit.script(nets.Classifier())
    torch.jit.script(nets.Generator(nets.Decoder(), torch.zeros(256), torch.eye(256),
                                    torch.eye(256)))
    torch.manual_seed(args.seed)
    xtr, ytr = fmnist.load("train", args.data)
    if args.limit:
        xtr, ytr = xtr[:args.limit], ytr[:args.limit]
    xte, yte = fmnist.load("t10k", args.data)
    x, y = to_tensor(xtr), to_labels(ytr)
    x_test, y_test = to_tensor(xte), to_labels(yte)
    log(f"data: train {tuple(x.shape)}, test {tuple(x_test.shape)}")

    # 1. classifier
    classifier = nets.Classifier()
    log(f"classifier: {nets.count_parameters(classifier)} parameters")
    t0 = time.time()
    if args.reuse_classifier:
        classifier.load_state_dict(torch.jit.load(args.reuse_classifier).state_dict())
        classifier.eval()
        acc = accuracy(classifier, x_test, y_test)
        log(f"classifier weights from {args.reuse_classifier}: test accuracy {acc:.4f}")
    else:
        acc = train_classifier(classifier, x, y, x_test, y_test, args.epochs, args.batch,
                               args.lr, gen, log)
    t_cls = time.time() - t0

    # 2. fc6 statistics and generator
    with torch.no_grad():
        feats = batched(lambda b: classifier(b)["fc6"], x)
    fc6_mean, code_matrix, code_inverse, fc6_evals = nets.zca_colouring(feats)
    fc6_std = feature_std(feats)
    eff_rank = float(fc6_evals.sum() ** 2 / (fc6_evals ** 2).sum())
    log(f"fc6 over train: mean of means {float(fc6_mean.mean()):.3f}, std range "
        f"[{float(fc6_std.min()):.3f}, {float(fc6_std.max()):.3f}], covariance eigenvalues "
        f"{float(fc6_evals[0]):.1f} .. {float(fc6_evals[-1]):.4f}, effective rank {eff_rank:.1f}")
    # the generator stage is seeded on its own (seed + 1), so that it depends only on the
    # classifier's weights and the seed (--reuse-classifier then gives the same generator as a
    # full run)
    t0 = time.time()
    decoder = train_decoder(classifier, x, feats, "fc6", args.seed + 1, args.gen_steps,
                            args.gen_batch, args.gen_lr, args.w_pix, args.w_conv3, args.w_fc6, log)
    t_gen = time.time() - t0
    generator = nets.Generator(decoder, fc6_mean, code_matrix, code_inverse).eval()

    # 3. export
    cls_path = os.path.join(args.out, "classifier.pt")
    gen_path = os.path.join(args.out, "generator.pt")
    save_script(classifier, cls_path)
    save_script(generator, gen_path)
    cls_loaded = torch.jit.load(cls_path).eval()
    gen_loaded = torch.jit.load(gen_path).eval()

    # 4. checks and facts for the C++ side
    with torch.no_grad():
        taps = cls_loaded(x_test[:2])
        tap_shapes = {k: list(v.shape[1:]) for k, v in taps.items()}
        assert list(taps.keys()) == list(nets.TAP_NAMES), list(taps.keys())
        test_taps = {k: [] for k in nets.TAP_NAMES}
        for i in range(0, x_test.shape[0], 1000):
            t = cls_loaded(x_test[i:i + 1000])
            for k in nets.TAP_NAMES:
                v = t[k]
                if v.dim() == 4:  # conv unit = channel at the spatial centre
                    v = v[:, :, v.shape[2] // 2, v.shape[3] // 2]
                test_taps[k].append(v)
        test_taps = {k: torch.cat(v) for k, v in test_taps.items()}
        test_acc_loaded = float((test_taps["fc8"].argmax(1) == y_test).float().mean())
        assert abs(test_acc_loaded - acc) < 1e-6, (test_acc_loaded, acc)

        g = torch.Generator().manual_seed(args.seed + 1)
        codes = torch.randn(1000, fc6_mean.shape[0], generator=g)
        imgs = gen_loaded(codes)
        assert imgs.shape == (1000, 1, 28, 28) and float(imgs.min()) >= 0 and float(imgs.max()) <= 1
        rnd = cls_loaded(imgs)
        probs = rnd["fc8"].softmax(1)
        # does the decoded image have the fc6 its code stands for? (correlation per image)
        want = gen_loaded.fc6(codes)
        code_corr = float(torch.stack([torch.corrcoef(torch.stack([a, b]))[0, 1]
                                       for a, b in zip(rnd["fc6"], want)]).mean())
        # reconstructions of test images through the exported generator
        f_test = batched(lambda b: cls_loaded(b)["fc6"], x_test)
        z_test = gen_loaded.encode(f_test)
        assert float((gen_loaded.fc6(z_test) - f_test).abs().max()) < 1e-2 * float(f_test.abs().max())
        z_test_std = float(z_test.std())
        rec = batched(gen_loaded, z_test)
        rec_mse = float(F.mse_loss(rec, x_test))
        rec_acc = float((batched(lambda b: cls_loaded(b)["fc8"].argmax(1), rec) == y_test)
                        .float().mean())

        ref_units = {}
        for k in nets.TAP_NAMES:
            units = {}
            for ch in range(3):
                col = test_taps[k][:, ch]
                units[str(ch)] = {"max": float(col.max()), "argmax_test_index": int(col.argmax()),
                                  "mean": float(col.mean()),
                                  "max_of_first_2000": float(col[:2000].max())}
            ref_units[k] = units

        x20 = x_test[:20]
        c20 = torch.randn(20, fc6_mean.shape[0], generator=g)
        t_cls20 = forward_time(cls_loaded, x20)
        t_gen20 = forward_time(gen_loaded, c20)

    log(f"test accuracy {acc:.4f}; reconstructions: pixel MSE {rec_mse:.4f}, classified as "
        f"the original's label {rec_acc:.4f}")
    log(f"N(0,1) codes: max softmax mean {float(probs.max(1).values.mean()):.3f}, class counts "
        f"{torch.bincount(probs.argmax(1), minlength=10).tolist()}, corr(code, fc6 z of decoded) "
        f"{code_corr:.3f}")
    log(f"forward time at batch 20, {args.threads} threads: classifier {t_cls20 * 1e3:.2f} ms, "
        f"generator {t_gen20 * 1e3:.2f} ms")

    if not args.no_figure:
        sample_figure(args.figure, generator, classifier, x_test, args.seed + 2)

    cmd = "/usr/bin/python3 tools/testbed/train.py" + "".join(
        f" {a}" for a in sys.argv[1:])
    if args.reuse_classifier:
        # the classifier came from an earlier run; a full run reproduces it from the seed
        cmd += ("  (classifier weights reused from an earlier run of this script with the same "
                "seed; the command without --reuse-classifier retrains them)")
    manifest = {
        "description": "xdream bundled in-silico test bed: Fashion-MNIST AlexNet-like classifier "
                       "(the 'brain') and a DeePSiM-like generator inverting its fc6. "
                       "See docs/testbed.md.",
        "data": {"package": "dataset-fashion-mnist", "dir": args.data,
                 "train": 60000, "test": 10000, "licence": "MIT"},
        "classifier": {
            "file": "classifier.pt",
            "sha256": sha256_file(cls_path),
            "weights_sha256": sha256_weights(classifier),
            "bytes": os.path.getsize(cls_path),
            "parameters": nets.count_parameters(classifier),
            "input": {"shape": [1, 28, 28], "range": [0.0, 1.0], "channels": "grey",
                      "normalization": {"mean": nets.FMNIST_MEAN, "std": nets.FMNIST_STD,
                                        "baked_in": True}},
            "output": "Dict[str, Tensor] of pre-ReLU layer outputs",
            "taps": tap_shapes,
            "classes": list(fmnist.CLASSES),
            "test_accuracy": acc,
            "forward_seconds_batch20": t_cls20,
            "reference_units": {
                "note": "unit = (tap, channel); conv units at the spatial centre (h//2, w//2). "
                        "Statistics of the pre-ReLU activation over the 10k test images "
                        "(t10k-images-idx3-ubyte.gz, file order, pixels/255).",
                "units": ref_units},
        },
        "generator": {
            "file": "generator.pt",
            "sha256": sha256_file(gen_path),
            "weights_sha256": sha256_weights(generator),
            "bytes": os.path.getsize(gen_path),
            "parameters": nets.count_parameters(generator),
            "code_size": int(fc6_mean.shape[0]),
            "output": {"shape": [1, 28, 28], "range": [0.0, 1.0], "channels": "grey"},
            "code_space": "whitened classifier fc6 (pre-ReLU): fc6 = code_mean + code_matrix @ "
                          "code, code_matrix = Cov(fc6)^(1/2) over the 60k training images "
                          "(symmetric square root, ZCA); buffers code_mean, code_matrix, "
                          "code_inverse in generator.pt; exported methods fc6(codes) and "
                          "encode(fc6) -> codes",
            "fc6_mean": [round(float(v), 5) for v in fc6_mean],
            "fc6_std": [round(float(v), 5) for v in fc6_std],
            "fc6_covariance_eigenvalues_top10": [round(float(v), 4) for v in fc6_evals[:10]],
            "fc6_covariance_effective_rank": round(eff_rank, 2),
            "test_codes_std": z_test_std,
            "test_reconstruction_pixel_mse": rec_mse,
            "test_reconstruction_label_accuracy": rec_acc,
            "random_codes": {
                "n": 1000,
                "mean_max_softmax": float(probs.max(1).values.mean()),
                "class_counts": torch.bincount(probs.argmax(1), minlength=10).tolist(),
                "mean_corr_fc6_of_code_vs_fc6_of_decoded_image": code_corr,
            },
            "forward_seconds_batch20": t_gen20,
        },
        "training": {
            "command": cmd,
            "seed": args.seed,
            "threads": args.threads,
            "arguments": vars(args),
            "classifier_seconds": round(t_cls, 1),
            "generator_seconds": round(t_gen, 1),
            "total_seconds": round(time.time() - t_start, 1),
            "torch": torch.__version__,
            "numpy": np.__version__,
            "python": platform.python_version(),
            "machine": platform.machine(),
        },
    }
    # paths in arguments are machine-specific; keep them relative to the repository
    for k in ("out", "figure"):
        manifest["training"]["arguments"][k] = os.path.relpath(getattr(args, k), REPO)
    text = json.dumps(manifest, indent=1)
    # keep number lists on one line each
    text = re.sub(r"\[\s*([-0-9.e,\s]+?)\s*\]",
                  lambda m: "[" + ", ".join(v.strip() for v in m.group(1).split(",")) + "]", text)
    with open(os.path.join(args.out, "manifest.json.tmp"), "w") as f:
        f.write(text + "\n")
    os.replace(os.path.join(args.out, "manifest.json.tmp"), os.path.join(args.out, "manifest.json"))
    log(f"wrote {cls_path} ({manifest['classifier']['sha256'][:16]}...), {gen_path} "
        f"({manifest['generator']['sha256'][:16]}...), manifest.json; total "
        f"{manifest['training']['total_seconds']} s")


if __name__ == "__main__":
    reexec_with_fixed_hash_seed()
    main()
