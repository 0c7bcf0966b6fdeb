"""The loss of the amp-emulation paper (Wright & Välimäki, "Perceptual loss
function for neural modelling of audio systems", ICASSP 2020): the
error-to-signal ratio of both signals after a first-order pre-emphasis filter
1 - c z^-1, so errors in the treble (fizz, which the ear hears) weigh more than
in the bass.

    >>> loss = esr_pre_emphasis(output, target)      # tensors (batch, 1, T)

Sums run over the whole batch, so a quiet crop does not blow the ratio up.
"""

from __future__ import annotations

import torch

PRE_EMPHASIS = 0.85
EPSILON = 1e-8  # keeps silence (zero target energy) finite


def pre_emphasis(x: torch.Tensor, coefficient: float = PRE_EMPHASIS) -> torch.Tensor:
    return x[..., 1:] - coefficient * x[..., :-1]


def esr(output: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    return torch.sum((target - output) ** 2) / (torch.sum(target ** 2) + EPSILON)


def esr_pre_emphasis(output: torch.Tensor, target: torch.Tensor,
                     coefficient: float = PRE_EMPHASIS) -> torch.Tensor:
    return esr(pre_emphasis(output, coefficient), pre_emphasis(target, coefficient))
