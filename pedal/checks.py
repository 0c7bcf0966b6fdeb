"""What a number from outside is allowed to be: the one check behind every setting the
pedal reads from a client, a state file, a config file or a sidecar.

    >>> is_number(True), is_number(3), is_finite(float("nan")), in_range(6.0, -60.0, 12.0)
    (False, True, False, True)

JSON and TOML give booleans as a subclass of int; none of our numbers is a boolean.
Each caller words its own one-line error (where the value came from, what it should be).
"""

from __future__ import annotations

import math

__all__ = ["in_range", "is_finite", "is_number"]


def is_number(value) -> bool:
    """An int or a float, not a bool."""
    return not isinstance(value, bool) and isinstance(value, (int, float))


def is_finite(value) -> bool:
    """A number that is neither infinite nor NaN."""
    return is_number(value) and math.isfinite(value)


def in_range(value, low: float, high: float) -> bool:
    """A finite number in [low, high]."""
    return is_finite(value) and low <= value <= high
