"""The control protocol's commands (pedal.control lists them) as pedald answers them: each
handler checks its request's fields, then calls one of the Pedal's actions (pedal.daemon),
which holds the pedal's lock while it acts.

    >>> server = ControlServer(path, handlers(pedal))

A field that is missing, of the wrong type or out of range is refused with one line naming
it and what it should be; nothing reaches the engine unchecked.
"""

from __future__ import annotations

import time

from pedal import submodels, tuner
from pedal.checks import in_range
from pedal.control import ControlError, Handler, Stream
from pedal.core import PARAMS
from pedal.midi.service import LEARN_S

__all__ = ["EQ_RANGES", "GATE_RANGES", "LEVEL_RANGES", "handlers"]


def _range(param: str) -> tuple[float, float]:
    """(lowest, highest) of an engine parameter: the core's table is the only source."""
    return PARAMS[param].min, PARAMS[param].max


LEVEL_RANGES = {"input_gain_db": _range("input_gain_db"), "output_level_db": _range("output_level_db")}
# Tone and gate settings (pedalctl eq/gate), kept in the state file under "eq" and "gate".
EQ_RANGES = {"bass_db": _range("eq_bass_db"), "mid_db": _range("eq_mid_db"), "treble_db": _range("eq_treble_db")}
GATE_RANGES = {"threshold_db": _range("gate_threshold_db")}


def handlers(pedal, press: bool = False) -> dict[str, Handler]:
    """Every command, by name, answered by ``pedal``. ``press``: add the mock footswitch's
    command (pedald with PEDAL_GPIO_MOCK=1; never on real pins)."""
    table = {"status": lambda m: pedal.status(), "list": lambda m: pedal.models(),
             "select": lambda m: _select(pedal, m), "next": lambda m: pedal.next(),
             "prev": lambda m: pedal.previous(), "bypass": lambda m: _bypass(pedal, m),
             "set": lambda m: pedal.set_levels(**_levels(m)), "reload": lambda m: pedal.reload(),
             "eq": lambda m: pedal.set_eq(_settings(m, EQ_RANGES), m.get("on")),
             "gate": lambda m: pedal.set_gate(_settings(m, GATE_RANGES), m.get("on")),
             "ir": lambda m: _ir(pedal, m), "size": lambda m: _size(pedal, m), "rig": lambda m: _rig(pedal, m),
             "knob": lambda m: _knob(pedal, m), "tuner": lambda m: _tuner(pedal, m),
             "midi": lambda m: _midi(pedal.midi, m),
             "claim": lambda m: pedal.claim(_checked_number("seconds", m.get("seconds", 30.0), 1.0, 60.0)),
             "info": lambda m: pedal.info(pedal.model_named(_name(m)))}
    if press:
        table["press"] = lambda m: _press(pedal, m)
    return table


def _checked_number(key: str, value, low: float, high: float) -> float:
    if not in_range(value, low, high):
        raise ControlError(f"{key} must be a number in {low:g}..{high:g}, got {value!r}")
    return float(value)


def _checked_on(message: dict) -> None:
    if "on" in message and not isinstance(message["on"], bool):
        raise ControlError(f"on must be true or false, got {message['on']!r}")


def _levels(message: dict) -> dict:
    values = {k: v for k, v in message.items() if k != "cmd"}
    if not values:
        raise ControlError(f"set needs one of {', '.join(LEVEL_RANGES)}")
    checked = {}
    for key, value in values.items():
        if key not in LEVEL_RANGES:
            raise ControlError(f"unknown setting {key!r}; known: {', '.join(LEVEL_RANGES)}")
        checked[key] = _checked_number(key, value, *LEVEL_RANGES[key])
    return checked


def _settings(message: dict, ranges: dict) -> dict:
    """eq's and gate's fields: the numbers of ``ranges``, and "on"."""
    unknown = [k for k in message if k not in ranges and k not in ("cmd", "on")]
    if unknown:
        raise ControlError(f"unknown setting {unknown[0]!r}; known: {', '.join(ranges)}, on")
    values = {k: _checked_number(k, v, *ranges[k]) for k, v in message.items() if k in ranges}
    _checked_on(message)
    return values


def _select(pedal, message: dict) -> dict:
    if "name" in message:
        index = pedal.library.index(str(message["name"]))
        if index is None:
            raise ControlError(f"no model called {message['name']!r}")
        return pedal.select(index)
    if "index" in message:
        index = message["index"]
        if isinstance(index, bool) or not isinstance(index, int):
            raise ControlError(f"index must be an integer, got {index!r}")
        return pedal.select(index)
    raise ControlError("select needs \"name\" or \"index\"")


def _bypass(pedal, message: dict) -> dict:
    if "on" not in message:
        return pedal.toggle_bypass()
    _checked_on(message)
    return pedal.set_bypass(message["on"])


def _ir(pedal, message: dict) -> dict:
    action = message.get("action")
    if action == "list":
        return pedal.irs()
    if action == "off":
        return pedal.select_ir(None)
    if action == "select":
        if not isinstance(message.get("name"), str):
            raise ControlError("ir select needs a \"name\"")
        return pedal.select_ir(message["name"])
    raise ControlError(f"ir needs \"action\": select, off or list; got {action!r}")


def _knob(pedal, message: dict) -> dict:
    if "name" not in message:
        return pedal.knobs()
    capture = message.get("capture")
    if capture is not None and (isinstance(capture, bool) or not isinstance(capture, int) or capture < 1):
        raise ControlError(f"capture must be a number from 1, got {capture!r}")
    return pedal.set_knob(_name(message), _checked_number("value", message.get("value"), -1e6, 1e6), capture)


def _rig(pedal, message: dict) -> dict:
    action = message.get("action")
    if action == "list":
        return pedal.rig_list()
    if action == "select":
        return pedal.select_rig(_name(message))
    if action == "save":
        return pedal.save_rig()
    raise ControlError(f"rig needs \"action\": select, save or list; got {action!r}")


def _name(message: dict) -> str:
    name = message.get("name")
    if not isinstance(name, str):
        raise ControlError(f"{message.get('cmd')} needs a \"name\"")
    return name


def _size(pedal, message: dict) -> dict:
    index = pedal.model_named(_name(message))
    if "size" not in message:
        return pedal.size_info(index)
    try:
        size = submodels.checked_size(message["size"])
    except submodels.SizeError as error:
        raise ControlError(str(error)) from None
    force = message.get("force", False)
    if not isinstance(force, bool):
        raise ControlError(f"force must be true or false, got {force!r}")
    return pedal.set_size(index, size, force)


def _tuner(pedal, message: dict) -> dict | Stream:
    """Open or close the tuner ("on"; toggled without it), or watch it ("watch": a stream)."""
    _checked_on(message)
    watch = message.get("watch", False)
    if not isinstance(watch, bool):
        raise ControlError(f"watch must be true or false, got {watch!r}")
    if watch:
        if "on" in message:
            raise ControlError("tuner: either on or watch, not both (open it, then watch it)")
        return Stream(pedal.tuner.watch())
    a4 = message.get("a4")
    if a4 is not None:
        a4 = _checked_number("a4", a4, *tuner.A4_RANGE)
    return pedal.set_tuner(message.get("on"), a4)


def _midi(midi, message: dict) -> dict | Stream:
    """The MIDI mapping and ports (no field), or one of: "learn" a target (waits up to "seconds"
    for the next CC), "forget" a learned target, "watch" what arrives (a stream)."""
    asked = [key for key in ("learn", "forget", "watch") if key in message]
    if len(asked) > 1:
        raise ControlError(f"midi: one of learn, forget or watch at a time, got {', '.join(asked)}")
    if midi is None:
        if not asked:
            return {"enabled": False}
        raise ControlError("MIDI is off ([midi] enabled = false in pedal.toml)")
    if not asked:
        return midi.show()
    if asked[0] == "watch":
        if message["watch"] is not True:
            raise ControlError(f"watch must be true, got {message['watch']!r}")
        return Stream(midi.watch())
    target = message[asked[0]]
    if not isinstance(target, str):
        raise ControlError(f"{asked[0]} must be a target's name, got {target!r}")
    if asked[0] == "forget":
        return {"target": target, "forgotten": midi.forget(target), **midi.show()}
    timeout = _checked_number("seconds", message.get("seconds", 30.0), *LEARN_S)
    return {"target": target, "control": midi.learn(target, timeout), **midi.show()}


def _press(pedal, message: dict) -> dict:
    """The mock footswitch (PEDAL_GPIO_MOCK=1): holds a mock switch down for ``seconds``,
    so that a pedald on a machine without GPIO can be driven like one with it."""
    pin, seconds = message.get("pin"), message.get("seconds", 0.05)
    if isinstance(pin, bool) or not isinstance(pin, int):
        raise ControlError(f"pin must be an integer, got {pin!r}")
    if not isinstance(seconds, (int, float)) or not 0 <= seconds <= 5:
        raise ControlError(f"seconds must be 0..5, got {seconds!r}")
    mock = pedal.pin_factory.pin(pin)
    mock.drive_low()  # the switch pulls the pin to ground
    time.sleep(seconds)
    mock.drive_high()
    return {"pressed": pin, "seconds": seconds}
