"""MIDI bytes into whole channel messages, as the MIDI 1.0 specification reads a stream.

    >>> parser = Parser()
    >>> parser.feed(bytes([0xB0, 7, 100, 80, 127]))    # running status: the second has no status byte
    [(176, 0, 7, 100), (176, 0, 80, 127)]

A message is (kind, channel, first data byte, second or 0): kind 0x80..0xE0 (0xB0 control
change, 0xC0 program change, ...), channel 0..15. What a guitar pedal has no use for comes out
as nothing: system real-time bytes (clock, active sensing; they may fall inside a message and
leave it whole), system common messages and sysex (skipped to their end). Data bytes with no
status to belong to, and a message cut short by the next status byte, are dropped. A message
may be split between two ``feed`` calls.

(mido's parser reads neither running status nor a clock byte inside a message, which DIN MIDI
controllers send, so the few rules are written out here.)
"""

from __future__ import annotations

__all__ = ["CONTROL_CHANGE", "PROGRAM_CHANGE", "Parser"]

CONTROL_CHANGE, PROGRAM_CHANGE = 0xB0, 0xC0
_ONE_DATA_BYTE = (0xC0, 0xD0)          # program change, channel pressure
_SYSEX, _SYSEX_END = 0xF0, 0xF7
_COMMON_DATA = {0xF1: 1, 0xF2: 2, 0xF3: 1}   # system common messages' data bytes (skipped)


class Parser:
    def __init__(self) -> None:
        self._status = 0        # the running status (a channel message's), 0: none
        self._needed = 0        # data bytes the message under way needs
        self._data: list[int] = []
        self._skipping = 0      # data bytes of a system common message still to skip
        self._in_sysex = False

    def feed(self, data: bytes) -> list[tuple[int, int, int, int]]:
        messages = []
        for byte in data:
            if byte >= 0xF8:                     # system real-time: anywhere, changes nothing
                continue
            if byte >= 0x80:
                self._begin(byte)
            elif self._in_sysex:
                continue
            elif self._skipping:
                self._skipping -= 1
            elif self._status:
                self._data.append(byte)
                if len(self._data) == self._needed:
                    first, second = self._data[0], self._data[1] if self._needed == 2 else 0
                    messages.append((self._status & 0xF0, self._status & 0x0F, first, second))
                    self._data = []              # the status runs on for the next message
        return messages

    def _begin(self, status: int) -> None:
        self._data, self._in_sysex, self._skipping = [], False, 0   # whatever was under way is cut short
        if status < 0xF0:
            self._status = status
            self._needed = 1 if status & 0xF0 in _ONE_DATA_BYTE else 2
            return
        self._status = 0                         # system common and sysex end the running status
        if status == _SYSEX:
            self._in_sysex = True
        elif status != _SYSEX_END:
            self._skipping = _COMMON_DATA.get(status, 0)
