"""The test bed's two networks: the AlexNet-like "brain" and the DeePSiM-like fc6 generator.

Both classes are TorchScript-scriptable and implement xdream's model contract ("The contract"
in docs/torch-models.md) directly, so the exported files are just torch.jit.script(model).
"""
from typing import Dict

import torch
from torch import nn
import torch.nn.functional as F

# Fashion-MNIST training-set pixel statistics (grey, pixels scaled to [0, 1]).
FMNIST_MEAN = 0.2860405969887955
FMNIST_STD = 0.35302424451492237

TAP_NAMES = ("conv1", "conv2", "conv3", "fc6", "fc7", "fc8")


class Classifier(nn.Module):
    """AlexNet-like classifier for 1x28x28 grey images in [0, 1].

    conv1 5x5/32 -> ReLU -> maxpool 2 -> conv2 5x5/64 -> ReLU -> maxpool 2 ->
    conv3 3x3/128 -> ReLU -> maxpool 2 (ceil) -> fc6 2048->256 -> ReLU -> dropout ->
    fc7 256->256 -> ReLU -> dropout -> fc8 256->10.

    forward(images [N,1,28,28] in [0,1]) -> Dict[str, Tensor] with the PRE-ReLU output of
    every named layer ("taps"): conv1 [N,32,28,28], conv2 [N,64,14,14], conv3 [N,128,7,7],
    fc6 [N,256], fc7 [N,256], fc8 [N,10] (class logits). Normalization is baked in.
    """

    def __init__(self, c1: int = 32, c2: int = 64, c3: int = 128, fc: int = 256,
                 classes: int = 10, dropout: float = 0.5):
        super().__init__()
        self.register_buffer("mean", torch.tensor(FMNIST_MEAN, dtype=torch.float32))
        self.register_buffer("std", torch.tensor(FMNIST_STD, dtype=torch.float32))
        self.conv1 = nn.Conv2d(1, c1, 5, padding=2)
        self.conv2 = nn.Conv2d(c1, c2, 5, padding=2)
        self.conv3 = nn.Conv2d(c2, c3, 3, padding=1)
        self.fc6 = nn.Linear(c3 * 4 * 4, fc)
        self.fc7 = nn.Linear(fc, fc)
        self.fc8 = nn.Linear(fc, classes)
        self.drop6 = nn.Dropout(dropout)
        self.drop7 = nn.Dropout(dropout)

    def forward(self, images: torch.Tensor) -> Dict[str, torch.Tensor]:
        x = (images - self.mean) / self.std
        conv1 = self.conv1(x)
        x = F.max_pool2d(F.relu(conv1), 2)                   # 14x14
        conv2 = self.conv2(x)
        x = F.max_pool2d(F.relu(conv2), 2)                   # 7x7
        conv3 = self.conv3(x)
        x = F.max_pool2d(F.relu(conv3), 2, ceil_mode=True)   # 4x4
        fc6 = self.fc6(torch.flatten(x, 1))
        fc7 = self.fc7(self.drop6(F.relu(fc6)))
        fc8 = self.fc8(self.drop7(F.relu(fc7)))
        return {"conv1": conv1, "conv2": conv2, "conv3": conv3,
                "fc6": fc6, "fc7": fc7, "fc8": fc8}


class Decoder(nn.Module):
    """DeePSiM-like decoder: fc6 feature (pre-ReLU, 256-d) -> 1x28x28 image in [0, 1].

    fc 256->256 -> fc 256->64*7*7 -> reshape -> (nearest 2x upsample + 3x3 conv) to 14x14
    -> (nearest 2x upsample + 3x3 conv) to 28x28 -> 3x3 conv -> sigmoid, leaky ReLU(0.2)
    between layers as in DeePSiM. Upsample + conv replaces DeePSiM's transposed
    convolutions: same role, no checkerboard, and much faster on CPU."""

    def __init__(self, code: int = 256, hidden: int = 256, ch: int = 64):
        super().__init__()
        self.ch = ch
        self.fc1 = nn.Linear(code, hidden)
        self.fc2 = nn.Linear(hidden, ch * 7 * 7)
        self.conv1 = nn.Conv2d(ch, ch // 2, 3, padding=1)
        self.conv2 = nn.Conv2d(ch // 2, ch // 4, 3, padding=1)
        self.conv3 = nn.Conv2d(ch // 4, 1, 3, padding=1)

    def forward(self, fc6: torch.Tensor) -> torch.Tensor:
        x = F.leaky_relu(self.fc1(fc6), 0.2)
        x = F.leaky_relu(self.fc2(x), 0.2)
        x = x.view(x.shape[0], self.ch, 7, 7)
        x = F.interpolate(x, scale_factor=2.0, mode="nearest")      # 14x14
        x = F.leaky_relu(self.conv1(x), 0.2)
        x = F.interpolate(x, scale_factor=2.0, mode="nearest")      # 28x28
        x = F.leaky_relu(self.conv2(x), 0.2)
        return torch.sigmoid(self.conv3(x))


class Generator(nn.Module):
    """The exported generator: standardized code z [N,256] -> image [N,1,28,28] in [0,1].

    z is mapped to the classifier's (pre-ReLU) fc6 space by fc6 = code_mean + z @ code_matrix^T,
    where code_mean is the mean of fc6 over the 60k training images and code_matrix the
    symmetric square root of their covariance (ZCA colouring), so that i.i.d. N(0,1) codes
    (XDream's initial population) have the mean and covariance of real fc6 features.
    encode(fc6) is the inverse map (code_inverse = code_matrix^-1), for codes of real images.
    The integer attribute code_size tells C++ (xdream::TorchGenerator) the code length.

    torch.jit.script records the source text, file and line numbers of forward, fc6 and encode
    (and of the classes above) in the exported file: edit or move them and a retrained
    generator.pt gets other bytes, though the same weights."""

    code_size: int

    def __init__(self, decoder: Decoder, mean: torch.Tensor, matrix: torch.Tensor,
                 inverse: torch.Tensor):
        super().__init__()
        set_code_space(self, decoder, mean, matrix, inverse)

    def forward(self, codes: torch.Tensor) -> torch.Tensor:
        return self.decoder(self.fc6(codes))

    @torch.jit.export
    def fc6(self, codes: torch.Tensor) -> torch.Tensor:
        """codes [N,256] -> the classifier fc6 features they stand for."""
        return self.code_mean + codes @ self.code_matrix.t()

    @torch.jit.export
    def encode(self, fc6: torch.Tensor) -> torch.Tensor:
        """classifier fc6 features [N,256] -> codes (forward(encode(f)) decodes f)."""
        return (fc6 - self.code_mean) @ self.code_inverse.t()


def zca_colouring(features: torch.Tensor, eps: float = 1e-6):
    """Mean, symmetric square root of the covariance, and its inverse (float64 maths)."""
    f = features.double()
    mean = f.mean(0)
    cov = torch.cov(f.T)
    evals, evecs = torch.linalg.eigh(cov)
    evals = evals.clamp_min(eps)
    matrix = evecs @ torch.diag(evals.sqrt()) @ evecs.T
    inverse = evecs @ torch.diag(evals.rsqrt()) @ evecs.T
    return mean.float(), matrix.float(), inverse.float(), evals.flip(0)


def count_parameters(m: nn.Module) -> int:
    return sum(p.numel() for p in m.parameters())


def set_code_space(module: nn.Module, decoder: nn.Module, mean: torch.Tensor,
                   matrix: torch.Tensor, inverse: torch.Tensor):
    """Give a code-space generator (Generator above, FeatureGenerator in train_generators.py)
    its decoder, its integer code_size and float32 copies of the ZCA colouring from
    zca_colouring as the buffers code_mean, code_matrix and code_inverse. The assignments keep
    the order in which the exported files list these attributes."""
    module.code_size = int(mean.shape[0])
    module.decoder = decoder
    module.register_buffer("code_mean", mean.detach().clone().float())
    module.register_buffer("code_matrix", matrix.detach().clone().float())
    module.register_buffer("code_inverse", inverse.detach().clone().float())
