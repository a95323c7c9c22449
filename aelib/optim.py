"""The optimiser every training here uses: Adam (fused), at a constant learning rate or
decaying along a cosine to 0 by the last step."""
from __future__ import annotations

import torch


def adam(params, lr: float, steps: int, cosine: bool = False):
    """Adam over `params` (tensors, or parameter groups with their own lr) and its schedule (None
    when the rate stays constant)."""
    opt = torch.optim.Adam(params, lr=lr, fused=True)
    if cosine:
        return opt, torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=max(steps, 1))
    return opt, None
