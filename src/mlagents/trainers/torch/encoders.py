"""Observation encoders: vectors (optionally normalized) and images (three encoders as in
ML-Agents: simple, nature_cnn, resnet)."""

from __future__ import annotations

from typing import Any

import torch
from torch import nn


class Normalizer(nn.Module):
    """Running mean and variance of a vector observation; normalizes to about N(0, 1)
    (clipped to [-5, 5]). Updated from whole trajectories, saved with the model."""

    count: torch.Tensor
    mean: torch.Tensor
    var: torch.Tensor

    def __init__(self, size: int) -> None:
        super().__init__()
        self.register_buffer("count", torch.tensor(1e-4, dtype=torch.float64))
        self.register_buffer("mean", torch.zeros(size, dtype=torch.float64))
        self.register_buffer("var", torch.ones(size, dtype=torch.float64))
        self._scale: tuple[torch.Tensor, torch.Tensor] | None = None

    @torch.no_grad()
    def update(self, values: torch.Tensor) -> None:
        """Merge the statistics of a batch (rows are samples), as parallel Welford does."""
        batch = values.reshape(len(values), -1).to(torch.float64)
        if not len(batch):
            return
        self._scale = None
        n = torch.tensor(float(len(batch)), dtype=torch.float64)
        mean, var = batch.mean(dim=0), batch.var(dim=0, unbiased=False)
        total = self.count + n
        delta = mean - self.mean
        self.mean += delta * n / total
        self.var.copy_(
            (self.var * self.count + var * n + delta**2 * self.count * n / total) / total
        )
        self.count.copy_(total)

    def forward(self, values: torch.Tensor) -> torch.Tensor:
        # The float64 statistics turned into the input's dtype once per change, not on every
        # forward pass (SAC runs seven networks' normalizers per update).
        if self._scale is None or self._scale[0].dtype != values.dtype:
            mean = self.mean.to(values.dtype)
            self._scale = (mean, torch.rsqrt(self.var.to(values.dtype) + 1e-8))
        mean, inverse_std = self._scale
        return torch.clamp((values - mean) * inverse_std, -5.0, 5.0)

    def _load_from_state_dict(self, *args: Any, **kwargs: Any) -> None:
        self._scale = None
        super()._load_from_state_dict(*args, **kwargs)


class VectorEncoder(nn.Module):
    """Flattens an observation of any rank; normalizes it when asked."""

    def __init__(self, shape: tuple[int, ...], normalize: bool) -> None:
        super().__init__()
        self.size = int(torch.tensor(shape).prod().item()) if shape else 1
        self.normalizer = Normalizer(self.size) if normalize else None

    def forward(self, obs: torch.Tensor) -> torch.Tensor:
        flat = obs.reshape(obs.shape[0], self.size)
        return self.normalizer(flat) if self.normalizer is not None else flat


def _conv_size(size: int, kernel: int, stride: int, padding: int = 0) -> int:
    return (size + 2 * padding - kernel) // stride + 1


class SimpleVisualEncoder(nn.Module):
    """Two convolutions and a dense layer; for images of at least 20x20."""

    def __init__(self, height: int, width: int, channels: int, output: int) -> None:
        super().__init__()
        h = _conv_size(_conv_size(height, 8, 4), 4, 2)
        w = _conv_size(_conv_size(width, 8, 4), 4, 2)
        self.net = nn.Sequential(
            nn.Conv2d(channels, 16, 8, 4),
            nn.LeakyReLU(),
            nn.Conv2d(16, 32, 4, 2),
            nn.LeakyReLU(),
            nn.Flatten(),
            nn.Linear(32 * h * w, output),
            nn.LeakyReLU(),
        )

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        return self.net(images)


class NatureVisualEncoder(nn.Module):
    """The DQN paper's three convolutions and a dense layer; for images of at least 36x36."""

    def __init__(self, height: int, width: int, channels: int, output: int) -> None:
        super().__init__()
        h = _conv_size(_conv_size(_conv_size(height, 8, 4), 4, 2), 3, 1)
        w = _conv_size(_conv_size(_conv_size(width, 8, 4), 4, 2), 3, 1)
        self.net = nn.Sequential(
            nn.Conv2d(channels, 32, 8, 4),
            nn.LeakyReLU(),
            nn.Conv2d(32, 64, 4, 2),
            nn.LeakyReLU(),
            nn.Conv2d(64, 64, 3, 1),
            nn.LeakyReLU(),
            nn.Flatten(),
            nn.Linear(64 * h * w, output),
            nn.LeakyReLU(),
        )

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        return self.net(images)


class _ResidualBlock(nn.Module):
    def __init__(self, channels: int) -> None:
        super().__init__()
        self.net = nn.Sequential(
            nn.ReLU(),
            nn.Conv2d(channels, channels, 3, 1, 1),
            nn.ReLU(),
            nn.Conv2d(channels, channels, 3, 1, 1),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.net(x)


class ResNetVisualEncoder(nn.Module):
    """IMPALA's residual stacks (16, 32, 32 channels, each a convolution, a max pool and
    two residual blocks); for images of at least 15x15."""

    def __init__(self, height: int, width: int, channels: int, output: int) -> None:
        super().__init__()
        layers: list[nn.Module] = []
        h, w, c = height, width, channels
        for out_channels in (16, 32, 32):
            layers += [
                nn.Conv2d(c, out_channels, 3, 1, 1),
                nn.MaxPool2d(3, 2, 1),
                _ResidualBlock(out_channels),
                _ResidualBlock(out_channels),
            ]
            h, w, c = _conv_size(h, 3, 2, 1), _conv_size(w, 3, 2, 1), out_channels
        layers += [nn.ReLU(), nn.Flatten(), nn.Linear(c * h * w, output), nn.ReLU()]
        self.net = nn.Sequential(*layers)

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        return self.net(images)


class FullyConnectedVisualEncoder(nn.Module):
    """One dense layer over the flattened image; for images too small for convolutions."""

    def __init__(self, height: int, width: int, channels: int, output: int) -> None:
        super().__init__()
        self.net = nn.Sequential(
            nn.Flatten(), nn.Linear(height * width * channels, output), nn.LeakyReLU()
        )

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        return self.net(images)


VISUAL_ENCODERS: dict[str, type[nn.Module]] = {
    "fully_connected": FullyConnectedVisualEncoder,
    "simple": SimpleVisualEncoder,
    "nature_cnn": NatureVisualEncoder,
    "resnet": ResNetVisualEncoder,
}
#: The smallest image side each encoder takes.
MIN_RESOLUTION = {"fully_connected": 1, "simple": 20, "nature_cnn": 36, "resnet": 15}
