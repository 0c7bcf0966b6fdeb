"""What the pedal remembers across a reboot: the model playing, bypass, levels.

    >>> state = load_state(path)          # defaults if missing or unreadable
    >>> save_state(path, dataclasses.replace(state, bypass=True))

Written atomically (pedal.files), so a power cut leaves the old state or the
new one. An unreadable state file is never fatal: the pedal starts with the
defaults and says why in the log.
"""

from __future__ import annotations

import json
import logging
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path

from pedal.checks import is_finite
from pedal.files import write_atomically

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class State:
    model: str | None = None      # name of the model playing
    bypass: bool = False
    input_gain_db: float = 0.0
    output_level_db: float = 0.0
    extra: dict = field(default_factory=dict)  # settings added later (EQ, gate, IR), by name


def _valid(state: dict) -> State:
    model = state.get("model")
    if model is not None and not isinstance(model, str):
        raise ValueError("model must be a name or null")
    if not isinstance(state.get("bypass", False), bool):
        raise ValueError("bypass must be true or false")
    numbers = {}
    for key in ("input_gain_db", "output_level_db"):
        value = state.get(key, 0.0)
        if not is_finite(value):
            raise ValueError(f"{key} must be a finite number")
        numbers[key] = float(value)
    extra = state.get("extra", {})
    if not isinstance(extra, dict):
        raise ValueError("extra must be an object")
    return State(model=model, bypass=state.get("bypass", False), extra=extra, **numbers)


def load_state(path: Path | str) -> State:
    path = Path(path)
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
        if not isinstance(document, dict):
            raise ValueError("expected a JSON object")
        known = {f.name for f in fields(State)}
        return _valid({k: v for k, v in document.items() if k in known})
    except FileNotFoundError:
        return State()
    except (OSError, UnicodeDecodeError, ValueError) as error:
        log.warning("state file %s unreadable (%s); starting from the defaults", path, error)
        return State()


def save_state(path: Path | str, state: State) -> None:
    write_atomically(Path(path), (json.dumps(asdict(state), indent=1, sort_keys=True) + "\n").encode())
