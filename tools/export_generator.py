#!/usr/bin/python3
"""Export an image generator as an xdream "generator" TorchScript module (docs/torch-models.md).

The exported module implements xdream's generator contract ("The contract" in
docs/torch-models.md):

    forward(codes: Tensor[N, D] float32) -> Tensor[N, C, H, W] float32 in [0, 1] (RGB or grey)

The generator's own output convention is converted by a baked-in wrapper (--convention):
  deepsim  Caffe DeePSiM (Dosovitskiy & Brox 2016): BGR, 0..255 scale minus the ImageNet mean
           (B, G, R) = (104, 117, 123): reverse to RGB, add the mean, divide by 255, clip to [0,1]
  tanh     output in [-1, 1] (most GANs): (x + 1) / 2, clip
  unit     output already in [0, 1]: clip only
  imagenet output normalized with torchvision's ImageNet mean/std: x * std + mean, clip

Examples:
    # DeePSiM fc6 generator with weights converted from the Caffe model to a state dict
    /usr/bin/python3 tools/export_generator.py --arch deepsim-fc6 --weights deepsim_fc6.pth \\
        --out deepsim_fc6.pt
    # full-size random-weight DeePSiM fc6 generator, for benchmarks only (~225 MB)
    /usr/bin/python3 tools/export_generator.py --arch deepsim-fc6 --random-weights \\
        --out deepsim_fc6_random.pt
    # your own generator class, output in [-1, 1]
    /usr/bin/python3 tools/export_generator.py --module mygan.py:Generator --code-size 128 \\
        --convention tanh --weights mygan.pth --out mygan.pt
"""
import argparse
import os

import torch
from torch import nn
import torch.nn.functional as F

from xdream_common import load_module_spec, load_weights, print_forward_time, write_sha256_sidecar

# ImageNet mean in Caffe's BGR order, 0..255 scale (the DeePSiM / Caffe reference models).
CAFFE_MEAN_BGR = (104.0, 117.0, 123.0)
TORCHVISION_MEAN = (0.485, 0.456, 0.406)
TORCHVISION_STD = (0.229, 0.224, 0.225)


class DeePSiMFC6(nn.Module):
    """The DeePSiM generator that inverts AlexNet fc6 (Dosovitskiy & Brox 2016), after the
    layer list of its Caffe prototxt; state-dict keys are the Caffe layer names, so a converted
    caffemodel maps one blob pair per layer (Caffe InnerProduct weights are [out, in] like
    nn.Linear; Caffe Deconvolution weights are [in, out, k, k] like nn.ConvTranspose2d).

    code 4096 -> defc7, defc6, defc5 (fc 4096, leaky ReLU 0.3) -> reshape 256x4x4 ->
    deconv5 (4x4/2, 256) 8x8 -> conv5_1 (3x3, 512) -> deconv4 (256) 16x16 -> conv4_1 (256) ->
    deconv3 (128) 32x32 -> conv3_1 (128) -> deconv2 (64) 64x64 -> deconv1 (32) 128x128 ->
    deconv0 (3) 256x256, no activation at the end: BGR image, 0..255 scale minus the mean."""

    def __init__(self, code: int = 4096, slope: float = 0.3):
        super().__init__()
        self.slope = slope
        self.defc7 = nn.Linear(code, 4096)
        self.defc6 = nn.Linear(4096, 4096)
        self.defc5 = nn.Linear(4096, 4096)
        self.deconv5 = nn.ConvTranspose2d(256, 256, 4, stride=2, padding=1)
        self.conv5_1 = nn.Conv2d(256, 512, 3, padding=1)
        self.deconv4 = nn.ConvTranspose2d(512, 256, 4, stride=2, padding=1)
        self.conv4_1 = nn.Conv2d(256, 256, 3, padding=1)
        self.deconv3 = nn.ConvTranspose2d(256, 128, 4, stride=2, padding=1)
        self.conv3_1 = nn.Conv2d(128, 128, 3, padding=1)
        self.deconv2 = nn.ConvTranspose2d(128, 64, 4, stride=2, padding=1)
        self.deconv1 = nn.ConvTranspose2d(64, 32, 4, stride=2, padding=1)
        self.deconv0 = nn.ConvTranspose2d(32, 3, 4, stride=2, padding=1)

    def forward(self, codes: torch.Tensor) -> torch.Tensor:
        s = self.slope
        x = F.leaky_relu(self.defc7(codes), s)
        x = F.leaky_relu(self.defc6(x), s)
        x = F.leaky_relu(self.defc5(x), s)
        x = x.view(x.shape[0], 256, 4, 4)
        x = F.leaky_relu(self.deconv5(x), s)
        x = F.leaky_relu(self.conv5_1(x), s)
        x = F.leaky_relu(self.deconv4(x), s)
        x = F.leaky_relu(self.conv4_1(x), s)
        x = F.leaky_relu(self.deconv3(x), s)
        x = F.leaky_relu(self.conv3_1(x), s)
        x = F.leaky_relu(self.deconv2(x), s)
        x = F.leaky_relu(self.deconv1(x), s)
        return self.deconv0(x)


class UnitRangeGenerator(nn.Module):
    """codes -> generator -> [0,1] via (x * a + b) per channel (after an optional channel
    reversal), clipped: deepsim a = 1/255, b = mean_rgb/255; tanh a = 0.5, b = 0.5; unit a = 1,
    b = 0; imagenet a = std, b = mean."""

    code_size: int  # read by xdream::TorchGenerator

    def __init__(self, generator: nn.Module, reverse_channels: bool, a, b, code_size: int = 0):
        super().__init__()
        self.code_size = int(code_size)
        self.generator = generator
        self.reverse_channels = reverse_channels
        self.register_buffer("a", torch.tensor(a, dtype=torch.float32).view(1, -1, 1, 1))
        self.register_buffer("b", torch.tensor(b, dtype=torch.float32).view(1, -1, 1, 1))

    def forward(self, codes: torch.Tensor) -> torch.Tensor:
        x = self.generator(codes)
        if self.reverse_channels:
            x = x.flip(1)
        return torch.clamp(x * self.a + self.b, 0.0, 1.0)


def convention_params(name, channels):
    if name == "deepsim":
        if channels != 3:
            raise SystemExit("the deepsim convention needs 3 (BGR) channels")
        mean_rgb = CAFFE_MEAN_BGR[::-1]
        return True, [1.0 / 255.0] * 3, [m / 255.0 for m in mean_rgb]
    if name == "tanh":
        return False, [0.5] * channels, [0.5] * channels
    if name == "unit":
        return False, [1.0] * channels, [0.0] * channels
    if name == "imagenet":
        if channels != 3:
            raise SystemExit("the imagenet convention needs 3 channels")
        return False, list(TORCHVISION_STD), list(TORCHVISION_MEAN)
    raise SystemExit(f"unknown --convention {name!r}")


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--arch", default="deepsim-fc6", help="deepsim-fc6 (built in)")
    ap.add_argument("--module", help="FILE.py:NAME, your own generator class/factory")
    ap.add_argument("--scripted", help="an existing TorchScript generator to wrap")
    ap.add_argument("--code-size", type=int, default=None,
                    help="code length D (default 4096 for deepsim-fc6; needed otherwise)")
    w = ap.add_mutually_exclusive_group()
    w.add_argument("--weights", help="state dict file (torch.save); 'module.' prefixes dropped")
    w.add_argument("--random-weights", action="store_true",
                   help="keep the random initialization (benchmarks only)")
    ap.add_argument("--seed", type=int, default=0, help="seed for --random-weights")
    ap.add_argument("--convention", choices=["deepsim", "tanh", "unit", "imagenet"],
                    default=None, help="the generator's output convention (default deepsim for "
                                       "deepsim-fc6, else unit)")
    ap.add_argument("--mode", choices=["script", "trace"], default="script")
    ap.add_argument("--out", required=True)
    ap.add_argument("--threads", type=int, default=2)
    args = ap.parse_args()

    torch.manual_seed(args.seed)
    torch.set_num_threads(args.threads)
    builtin = not args.module and not args.scripted
    if builtin:
        if args.arch != "deepsim-fc6":
            raise SystemExit(f"unknown --arch {args.arch!r}")
        code = args.code_size or 4096
        gen = DeePSiMFC6(code)
        convention = args.convention or "deepsim"
    else:
        if not args.code_size:
            raise SystemExit("--code-size is required with --module/--scripted")
        code = args.code_size
        gen = torch.jit.load(args.scripted) if args.scripted else load_module_spec(args.module)
        convention = args.convention or "unit"
    if args.weights:
        if args.scripted:
            raise SystemExit("--weights does not apply to --scripted")
        load_weights(gen, args.weights)
    elif not args.random_weights and not args.scripted:
        raise SystemExit("give --weights FILE or --random-weights")
    gen.eval()

    example = torch.randn(2, code, generator=torch.Generator().manual_seed(1))
    with torch.no_grad():
        raw = gen(example)
    if raw.dim() != 4:
        raise SystemExit(f"generator output has shape {list(raw.shape)}, expected [N, C, H, W]")
    channels = raw.shape[1]
    reverse, a, b = convention_params(convention, channels)
    wrapper = UnitRangeGenerator(gen, reverse, a, b, code_size=code).eval()
    if args.mode == "script":
        exported = torch.jit.script(wrapper)
    else:
        exported = torch.jit.trace(wrapper, example)
    os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
    torch.jit.save(exported, args.out)
    write_sha256_sidecar(args.out)  # xdream refuses the file if it changes after this

    loaded = torch.jit.load(args.out).eval()
    with torch.no_grad():
        got = loaded(example)
        if reverse:
            raw = raw.flip(1)
        want = torch.clamp(raw * wrapper.a + wrapper.b, 0, 1)
    worst = float((got - want).abs().max())
    print(f"wrote {args.out} ({os.path.getsize(args.out) / 1e6:.1f} MB): codes [N,{code}] -> "
          f"{list(got.shape[1:])}, convention {convention}; range of 2 N(0,1) samples "
          f"[{float(got.min()):.3f}, {float(got.max()):.3f}]; max |exported - eager| {worst:.1e}")
    if worst > 1e-5 or float(got.min()) < 0 or float(got.max()) > 1:
        raise SystemExit("exported generator does not match the eager one / leaves [0,1]")
    print_forward_time(loaded, torch.randn(20, code), args.threads)


if __name__ == "__main__":
    main()
