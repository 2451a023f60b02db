"""Training and export steps shared by the test bed's scripts: train.py (the classifier and the
bundled fc6 generator) and train_generators.py (generators for other classifier taps).

Everything here is deterministic given its seed: the scripts fix the thread count and turn on
torch.use_deterministic_algorithms before calling in.
"""
import os
import time

import numpy as np
import torch
import torch.nn.functional as F

import nets
from xdream_common import write_sha256_sidecar


def to_tensor(images):
    """uint8 images [N,28,28] -> float32 tensor [N,1,28,28] with pixels / 255."""
    return torch.from_numpy(images.astype(np.float32) / 255.0).unsqueeze(1)


def to_labels(labels):
    """uint8 class labels [N] -> int64 tensor [N]."""
    return torch.from_numpy(labels.astype(np.int64))


@torch.no_grad()
def batched(fn, x, batch=1000):
    """fn applied to x in slices of `batch` rows, the results concatenated (no gradients)."""
    return torch.cat([fn(x[i:i + batch]) for i in range(0, x.shape[0], batch)])


def feature_std(feats):
    """Per-dimension standard deviation of classifier features, at least 1e-3: the unit in
    which the decoder's feature loss measures them."""
    return feats.std(0).clamp_min(1e-3)


def save_script(module, path):
    """Script module (in eval mode) and save it to path through a temporary file, so that a
    reader never sees half a file; returns the scripted module."""
    module.eval()
    scripted = torch.jit.script(module)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    tmp = path + ".tmp"
    torch.jit.save(scripted, tmp)
    os.replace(tmp, path)
    write_sha256_sidecar(path)  # xdream refuses the file if it changes after this
    return scripted


def train_decoder(classifier, x, feats, tap, seed, steps, batch, lr, w_pix, w_conv3, w_tap, log):
    """Train a DeePSiM-like decoder (nets.Decoder) that maps the classifier's `tap` features of
    an image back to the image, and return it in eval mode.

    feats[i] is classifier(x[i])[tap]. The loss on a batch is
        w_pix * MSE(pixels) + w_conv3 * MSE(conv3) + w_tap * MSE(tap / feature_std(feats)),
    comparing the decoded image with the original, in pixels and in the classifier's conv3 and
    `tap` outputs (the tap standardized per dimension). Adam with a one-cycle learning-rate
    schedule peaking at lr, over `steps` batches drawn without replacement from successive
    random permutations of the training set. The classifier is frozen and put in eval mode.

    The stage is seeded on its own: the global torch seed (the decoder's initial weights) and the
    permutation generator are both set from `seed`, so the result depends only on the
    classifier's weights, the data and the arguments. Every 50 steps the mean losses are
    logged."""
    torch.manual_seed(seed)
    gen = torch.Generator().manual_seed(seed)
    decoder = nets.Decoder(code=feats.shape[1])
    log(f"{tap} decoder: {nets.count_parameters(decoder)} parameters")
    tap_std = feature_std(feats)
    for p in classifier.parameters():
        p.requires_grad_(False)
    classifier.eval()
    opt = torch.optim.Adam(decoder.parameters(), lr=lr, betas=(0.9, 0.999))
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=lr, total_steps=steps)
    perm = torch.randperm(x.shape[0], generator=gen)
    pos, t0 = 0, time.time()
    run = np.zeros(4)
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
        l_tap = F.mse_loss(got[tap] / tap_std, target[tap] / tap_std)
        loss = w_pix * l_pix + w_conv3 * l_conv3 + w_tap * l_tap
        opt.zero_grad()
        loss.backward()
        opt.step()
        sched.step()
        run += [loss.item(), l_pix.item(), l_conv3.item(), l_tap.item()]
        if (step + 1) % 50 == 0 or step + 1 == steps:
            run /= 50 if (step + 1) % 50 == 0 else ((step + 1) % 50)
            log(f"{tap} decoder step {step + 1}/{steps}: loss {run[0]:.4f} (pixel {run[1]:.4f}, "
                f"conv3 {run[2]:.4f}, {tap} {run[3]:.4f}), {time.time() - t0:.1f} s")
            run[:] = 0
    return decoder.eval()
