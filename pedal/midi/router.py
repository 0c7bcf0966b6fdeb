"""MIDI bytes in, the pedal's actions out.

    >>> router = Router(mapping, pedal)
    >>> router.feed(b"\xc0\x02\xb0\x50\x7f")   # program change 2, CC 80 = 127 (from any port)
    >>> router.apply()                          # the MIDI thread, after each read
    ['program 2: rig Crunch', 'bypass: on']

The bytes are read as a MIDI port delivers them (pedal.midi.parser): running status, system
real-time bytes in the middle of a message, sysex (ignored), and garbage or a message cut short
(skipped) all come out as whole messages or nothing. Between two ``apply`` calls only the
latest value of each target and the latest program are kept, so a flood of control changes
costs one action per target, never a queue the pedal falls behind on.
"""

from __future__ import annotations

import logging

from pedal.control import ControlError
from pedal.midi.mapping import BANK_LSB, BANK_MSB, Mapping, level_key, level_of, on_of, share_of
from pedal.midi.parser import CONTROL_CHANGE, PROGRAM_CHANGE, Parser

log = logging.getLogger(__name__)

__all__ = ["Router"]


class Router:
    def __init__(self, mapping: Mapping, pedal) -> None:
        self.mapping, self.pedal = mapping, pedal
        self._parser = Parser()
        self._bank: dict[int, list[int]] = {}   # channel -> [MSB, LSB] of its last bank select
        self._program: int | None = None        # the latest program change, bank included
        self._latest: dict[str, int] = {}       # target -> its latest CC value
        self.messages = 0                       # whole channel messages read
        self._refused: dict[str, str] = {}      # target -> the refusal last logged

    @property
    def program_pending(self) -> bool:
        """A program change came that the next ``apply`` plays."""
        return self._program is not None

    def feed(self, data: bytes) -> None:
        """Bytes as a port delivered them (any split: a message may continue in the next call)."""
        for message in self._parser.feed(data):
            self.take(*message)

    def take(self, kind: int, channel: int, first: int, second: int) -> None:
        """One channel message (pedal.midi.parser's)."""
        self.messages += 1
        if kind not in (CONTROL_CHANGE, PROGRAM_CHANGE) or not self.mapping.listens_to(channel):
            return
        bank = self._bank.setdefault(channel, [0, 0])
        if kind == PROGRAM_CHANGE:
            self._program = (bank[0] * 128 + bank[1]) * 128 + first
        elif first == BANK_MSB:
            bank[0] = second
        elif first == BANK_LSB:
            bank[1] = second
        elif (target := self.mapping.target_of(first)) is not None:
            self._latest[target] = second

    def apply(self) -> list[str]:
        """Acts on what came since the last call (the program first: the CCs then move what it
        plays). One line per action, done or refused; refusals are logged once until they change."""
        done = []
        if self._program is not None:
            program, self._program = self._program, None
            done.append(self._act("program", program, lambda: self._select(program)))
        latest, self._latest = self._latest, {}
        for target, value in latest.items():
            done.append(self._act(target, value, lambda: self._move(target, value)))
        return done

    def _act(self, target: str, value: int, action) -> str:
        try:
            line = f"{target} {value}: {action()}"
        except ControlError as error:
            line = f"{target} {value}: refused: {error}"
            if self._refused.get(target) != str(error):
                log.warning("midi: %s", line)
            self._refused[target] = str(error)
            return line
        self._refused.pop(target, None)
        return line

    def _select(self, position: int) -> str:
        now = self.pedal.select_position(position)
        return f"rig {now['rig']}" if now["rig"] else f"model {now['model']}"

    def _move(self, target: str, value: int) -> str:
        pedal = self.pedal
        if target == "bypass":
            pedal.set_bypass(on_of(value))
            return "on" if on_of(value) else "off"
        if target == "tuner":
            pedal.set_tuner(on_of(value))
            return "open" if on_of(value) else "closed"
        if target == "size":
            return pedal.set_size_share(share_of(value))
        if target.startswith("knob"):
            return self._knob(int(target[4:]), value)
        action, key = level_key(target)
        level = round(level_of(target, value), 2)
        if action == "levels":
            pedal.set_levels(**{key: level})
        elif action == "eq":
            pedal.set_eq({key: level})
        else:
            pedal.set_gate({key: level})
        return f"{key} {level:g}"

    def _knob(self, n: int, value: int) -> str:
        knobs = self.pedal.knobs()["knobs"]
        if n > len(knobs):
            raise ControlError(f"what plays has {len(knobs)} knob{'' if len(knobs) == 1 else 's'}")
        knob = knobs[n - 1]
        position = knob["min"] + (knob["max"] - knob["min"]) * share_of(value)
        self.pedal.set_knob(knob["name"], position, capture=knob["capture"])
        return f"{knob['name']} of capture {knob['capture']} {position:.3g}"
