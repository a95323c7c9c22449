"""Principal component analysis of 28x28 images: the linear baseline beside the autoencoders.

PCA with k components is the best *linear* code of k numbers in the mean-squared-error sense
(Eckart-Young), so an autoencoder with a latent of size k should match or beat it on the images
it was trained on. The principal axes are the singular vectors of the training images'
covariance (equivalently the right singular vectors of the centred data matrix); the 784x784
covariance is much cheaper to decompose than the 50,000x784 data.
"""
from __future__ import annotations

from dataclasses import dataclass

import torch

N_PIXELS = 784


def _check_k(k, hi: int = N_PIXELS) -> int:
    if isinstance(k, bool) or not isinstance(k, int):
        raise TypeError(f"k (number of components) must be an int, got {type(k).__name__} {k!r}")
    if not 1 <= k <= hi:
        raise ValueError(f"k (number of components) must be in [1, {hi}], got k={k}")
    return k


def _flat(images: torch.Tensor) -> torch.Tensor:
    """uint8 in [0, 255] or float in [0, 1], shaped (N, 28, 28) or (N, 1, 28, 28) -> (N, 784) float64."""
    if images.ndim not in (3, 4) or images.shape[-2:] != (28, 28) or images.numel() == 0:
        raise ValueError(f"expected images shaped (N, 28, 28) or (N, 1, 28, 28) with N >= 1, "
                         f"got {tuple(images.shape)}")
    x = images.reshape(images.shape[0], N_PIXELS).double()  # (N, [1,] 28, 28) -> (N, 784)
    return x / 255.0 if images.dtype == torch.uint8 else x


@dataclass(frozen=True)
class PCA:
    mean: torch.Tensor  # (784,) float64: the mean training image
    components: torch.Tensor  # (k, 784) float64, orthonormal rows, by decreasing variance
    variance: torch.Tensor  # (k,) float64: the training images' variance along each component

    @property
    def k(self) -> int:
        return self.components.shape[0]

    @classmethod
    def fit(cls, images: torch.Tensor, k: int = N_PIXELS) -> "PCA":
        """The k leading principal components of `images` (uint8 or float in [0, 1])."""
        _check_k(k)
        x = _flat(images)
        mean = x.mean(0)
        xc = x - mean  # (N, 784), centred
        cov = xc.T @ xc / max(len(x) - 1, 1)  # (784, 784), symmetric positive semi-definite
        # For a symmetric PSD matrix the SVD is its eigendecomposition, already sorted by decreasing
        # eigenvalue; it returns all 784 orthonormal axes even when N < 784 (rank-deficient data).
        u, s, _ = torch.linalg.svd(cov)
        return cls(mean=mean, components=u[:, :k].T.contiguous(), variance=s[:k])

    def truncated(self, k: int) -> "PCA":
        """The same fit with only its k leading components (no refit)."""
        _check_k(k, self.k)
        return PCA(mean=self.mean, components=self.components[:k], variance=self.variance[:k])

    def encode(self, images: torch.Tensor) -> torch.Tensor:
        """(N, [1,] 28, 28) images -> (N, k) codes: coordinates along the principal axes."""
        return (_flat(images) - self.mean) @ self.components.T

    def decode(self, codes: torch.Tensor, clip: bool = True) -> torch.Tensor:
        """(N, k) codes -> (N, 1, 28, 28) float32 images: mean + projection, clipped to [0, 1]
        (`clip=False`: left as the projection gives it, as the PCA of the literature is measured)."""
        if codes.ndim != 2 or codes.shape[1] != self.k:
            raise ValueError(f"codes must be shaped (N, k={self.k}), got {tuple(codes.shape)}")
        x = self.mean + codes.double() @ self.components  # (N, k) -> (N, 784)
        return (x.clamp(0.0, 1.0) if clip else x).float().reshape(-1, 1, 28, 28)

    def reconstruct(self, images: torch.Tensor, clip: bool = True) -> torch.Tensor:
        return self.decode(self.encode(images), clip)
