"""Models with submodels: NAM "A2" SlimmableContainers and slimmable WaveNets.

One file holds several submodels of different sizes and costs. The core
(pedal.core.Model) lists them in ``info["submodels"]``, sorted by
``max_value``, and plays the one a *size* in [0, 1] picks:

    >>> model = Model.from_json(data, size=0.5)
    >>> model.info["submodels"]
    [{'max_value': 0.5, 'architecture': 'WaveNet', 'parameters': 1871, ...}, {'max_value': 1.0, ...}]
    >>> model.info["playing"], model.info["size"]
    (0, 0.5)

The pedal chooses the size once per file, on this device: validation
(pedal.validate) times every submodel and picks the largest that fits
``max_cpu_percent``; the choice is kept in the sidecar (pedal.store) and
changed live with ``pedalctl size NAME S``. This module holds the rules that
pedald and pedalctl share: which submodel a size plays, what a size may be,
whether a submodel fits, and how a choice reads.
"""

from __future__ import annotations

from pedal.checks import in_range, is_finite

__all__ = ["SizeError", "check_fits", "checked_size", "describe", "has_submodels", "label", "playing_index",
           "stored_loudness", "stored_size"]


class SizeError(ValueError):
    """A size that cannot be played or chosen; the message says why in one line."""


def has_submodels(info: dict) -> bool:
    return bool(info.get("submodels"))


def playing_index(submodels: list[dict], size: float | None) -> int:
    """The submodel a size plays: the first whose max_value >= size, else the last (the core's rule).
    ``None`` is the default size, 1.0: the largest."""
    size = 1.0 if size is None else float(size)
    for index, submodel in enumerate(submodels):
        if float(submodel["max_value"]) >= size:
            return index
    return len(submodels) - 1


def checked_size(value, where: str = "size") -> float:
    """``value`` as a size (a number in 0..1), or SizeError."""
    given = value
    if isinstance(value, str):
        try:
            value = float(value)
        except ValueError:
            value = None
    if not in_range(value, 0.0, 1.0):
        raise SizeError(f"{where} must be a number in 0..1, got {given!r}")
    return float(value)


def stored_size(meta: dict | None, submodels: list[dict]) -> float | None:
    """The size kept in a sidecar (pedal.store.stored_metadata), when it is a usable one."""
    value = (meta or {}).get("size")
    try:
        return checked_size(value) if value is not None and submodels else None
    except SizeError:
        return None


def stored_loudness(meta: dict | None, submodels: list[dict], playing: int | None) -> float | None:
    """The loudness validation kept in a sidecar for what plays: the ``playing`` submodel's for a
    model with submodels (each has its own), else the model's; None when there is none to trust."""
    meta = meta or {}
    stored = meta.get("loudness_db")
    if submodels:
        measured = meta.get("submodels")
        fits = isinstance(measured, list) and len(measured) == len(submodels) and playing is not None \
            and isinstance(measured[playing], dict)
        stored = measured[playing].get("loudness_db") if fits else None
    if not is_finite(stored):
        return None
    return float(stored)


def label(submodel: dict) -> str:
    """One submodel in a few words: "size 0.5: WaveNet, 1871 parameters"."""
    return f"size {float(submodel['max_value']):g}: {submodel.get('architecture')}, {submodel.get('parameters')} parameters"


def check_fits(measured: list[dict] | None, size: float, max_cpu_percent: float, force: bool = False,
               rate: int | None = None, period: int | None = None) -> None:
    """SizeError when the submodel ``size`` plays was measured (pedal.validate, kept in the sidecar)
    above ``max_cpu_percent`` and the choice is not forced. Unmeasured: allowed."""
    if force or not measured:
        return
    chosen = measured[playing_index(measured, size)]
    cpu = chosen.get("cpu_percent")
    if isinstance(cpu, (int, float)) and cpu > max_cpu_percent:
        at = f" at {rate} Hz in {period}-frame periods" if rate and period else ""
        raise SizeError(f"size {size:g} plays the submodel {label(chosen)}, which needs {cpu:.1f} % of each period"
                        f"{at} on this device (limit {max_cpu_percent:g} %): it would crackle; "
                        "--force plays it anyway")


def describe(submodels: list[dict], size: float | None, measured: list[dict] | None = None) -> list[str]:
    """Lines for a person: one per submodel, the playing one marked with ">", with what
    validation measured of each (CPU, loudness) where ``measured`` has it."""
    playing = playing_index(submodels, size)
    lines = []
    for index, submodel in enumerate(submodels):
        figures = measured[index] if measured and index < len(measured) else {}
        extra = ""
        if isinstance(figures.get("cpu_percent"), (int, float)):
            extra += f", CPU {figures['cpu_percent']:.1f} %"
        if isinstance(figures.get("loudness_db"), (int, float)):
            extra += f", loudness {figures['loudness_db']:.1f} dBFS"
        lines.append(f"{'>' if index == playing else ' '} {label(submodel)}{extra}")
    return lines
