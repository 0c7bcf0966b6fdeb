"""The MIDI thread: waits for what the MIDI reader (pedal.midi.reader, a process of its own that
holds the ports) passes on, and hands it to the router.

    >>> midi = MidiService(Router(mapping, pedal), ReaderProcess("auto"), learned={}, cc={}, remember=save)
    >>> midi.start()
    >>> midi.learn("bypass", timeout=30.0)   # a control-socket thread waits for the next CC
    80
    >>> for line in midi.watch(): ...        # pedalctl midi monitor: what arrives, what it did
    >>> midi.close()

Each port has its own parser (running status belongs to the port that sent it). After each batch
the router applies what came, the latest value per target, through the Pedal's actions: the
audio thread never waits on MIDI. A slow monitor misses lines (it is told how many), it never
holds the MIDI thread up.
"""

from __future__ import annotations

import collections
import logging
import threading
import time
from typing import Callable, Iterator

from pedal.control import ControlError
from pedal.midi.mapping import RESERVED, Mapping, check_learnable, with_learned
from pedal.midi.parser import CONTROL_CHANGE, PROGRAM_CHANGE, Parser
from pedal.midi.reader import ReaderProcess
from pedal.midi.router import Router

log = logging.getLogger(__name__)

__all__ = ["LEARN_S", "MidiService", "describe", "start_midi"]

WAIT_S = 1.0          # the longest the thread waits for the reader before it looks at its stop flag
HEARD = 2048          # lines a monitor may fall behind before it misses some
IDLE_BEAT_S = 1.0     # a monitor hears the ports this often when nothing arrives
LEARN_S = (1.0, 120.0)

_KINDS = {0x80: "note_off", 0x90: "note_on", 0xA0: "aftertouch", CONTROL_CHANGE: "control_change",
          PROGRAM_CHANGE: "program_change", 0xD0: "channel_pressure", 0xE0: "pitch_bend"}


def describe(port: str, message: tuple[int, int, int, int], mapping: Mapping) -> dict:
    """A message as a monitor shows it: channel from 1, and the target a CC moves."""
    kind, channel, first, second = message
    line = {"port": port, "channel": channel + 1, "kind": _KINDS[kind]}
    if kind == CONTROL_CHANGE:
        line.update(control=first, value=second, target=mapping.target_of(first) if mapping.listens_to(channel)
                    else None)
    elif kind == PROGRAM_CHANGE:
        line["program"] = first
    elif kind == 0xE0:
        line["value"] = (second << 7 | first) - 8192
    else:
        line.update(data=[first, second] if kind != 0xD0 else [first])
    return line


class MidiService:
    def __init__(self, router: Router, ports, learned: dict[str, int], cc: dict[int, str],
                 remember: Callable[[dict[str, int]], None]) -> None:
        """``ports``: a ReaderProcess, or what has its shape (names, backend, events, close)."""
        self.router, self.ports = router, ports
        self._cc, self._remember = dict(cc), remember     # pedal.toml's mapping, and how to keep learned ones
        self.learned = dict(learned)                        # target -> CC, from `pedalctl midi learn`
        self.router.mapping = Mapping(router.mapping.channel, with_learned(self._cc, self.learned))
        self._parsers: dict[str, Parser] = {}
        self._changed = threading.Condition()
        self._heard: collections.deque = collections.deque(maxlen=HEARD)   # (sequence, line)
        self._sequence = 0
        self._learning = False
        self._learned_cc: int | None = None
        self._closed = False
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.last_program: dict | None = None   # the last program change: when it came, when it was handed on

    # --- the thread -----------------------------------------------------------------

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="pedal-midi", daemon=True)
        self._thread.start()

    def close(self) -> None:
        self._stop.set()
        self.ports.close()
        if self._thread is not None:
            self._thread.join(2.0)
        with self._changed:
            self._closed = True
            self._changed.notify_all()

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                events = self.ports.events(WAIT_S)
                if events and not self._stop.is_set():
                    self._take(events, time.monotonic())
            except Exception:   # noqa: BLE001 -- MIDI going wrong must never stop the pedal
                log.exception("midi: reading the MIDI reader failed; going on")
                self._stop.wait(WAIT_S)

    def _take(self, events: list[tuple[str, str, bytes]], received: float) -> None:
        lines = []
        for kind, port, data in events:
            if kind != "message":
                if kind == "closed":
                    self._parsers.pop(port, None)
                lines.append({"ports": self.ports.names, kind: [port]})
                continue
            for message in self._parsers.setdefault(port, Parser()).feed(data):
                self.router.take(*message)
                lines.append(describe(port, message, self.router.mapping))
                self._maybe_learn(message)
        program = self.router.program_pending
        done = self.router.apply()
        if program:
            self.last_program = {"received": received, "handed": time.monotonic()}
        self._publish(lines + [{"did": line} for line in done])

    # --- monitor ----------------------------------------------------------------------

    def _publish(self, lines: list[dict]) -> None:
        if not lines:
            return
        with self._changed:
            for line in lines:
                self._sequence += 1
                self._heard.append((self._sequence, line))
            self._changed.notify_all()

    def watch(self) -> Iterator[dict]:
        """What arrives and what it does, as it comes (pedalctl midi monitor); ``{"ports": [...]}``
        first and each second with nothing, ``{"missed": n}`` when the reader fell behind."""
        with self._changed:
            seen = self._sequence
        yield {"ports": self.ports.names}
        while True:
            with self._changed:
                self._changed.wait_for(lambda: self._sequence != seen or self._closed, timeout=IDLE_BEAT_S)
                if self._closed:
                    return
                new = self._sequence - seen
                kept = min(new, len(self._heard))          # the newest lines, counted from the end
                fresh = [self._heard[i][1] for i in range(len(self._heard) - kept, len(self._heard))]
                missed, seen = new - kept, self._sequence
            if missed:
                yield {"missed": missed}
            if not fresh:
                yield {"ports": self.ports.names}
            yield from fresh

    # --- learn ------------------------------------------------------------------------

    def _maybe_learn(self, message: tuple[int, int, int, int]) -> None:
        kind, channel, control, _ = message
        if not self._learning or kind != CONTROL_CHANGE or control in RESERVED:
            return
        if not self.router.mapping.listens_to(channel):
            return
        with self._changed:
            if self._learning and self._learned_cc is None:
                self._learned_cc = control
                self._changed.notify_all()

    def learn(self, target: str, timeout: float) -> int:
        """Waits up to ``timeout`` s for the next control change on the channel listened to and
        makes it move ``target`` from now on, kept across restarts; the CC. ControlError on time out."""
        try:
            check_learnable(target)
        except ValueError as error:
            raise ControlError(str(error)) from None
        with self._changed:
            if self._learning:
                raise ControlError("already learning a CC (one learn at a time)")
            self._learning, self._learned_cc = True, None
            try:
                self._changed.wait_for(lambda: self._learned_cc is not None or self._closed, timeout)
                control = self._learned_cc
            finally:
                self._learning = False
        if control is None:
            raise ControlError(f"no control change arrived in {timeout:g} s"
                               f"{'' if self.ports.names else ' (no MIDI port is open)'}")
        self._keep({**{t: c for t, c in self.learned.items() if c != control}, target: control})
        log.info("midi: CC %d moves %s (learned)", control, target)
        return control

    def forget(self, target: str) -> bool:
        """Drops what was learned for ``target`` (pedal.toml's mapping applies again); False when nothing was."""
        try:
            check_learnable(target)
        except ValueError as error:
            raise ControlError(str(error)) from None
        if target not in self.learned:
            return False
        self._keep({t: c for t, c in self.learned.items() if t != target})
        return True

    def _keep(self, learned: dict[str, int]) -> None:
        self.learned = learned
        self.router.mapping = Mapping(self.router.mapping.channel, with_learned(self._cc, learned))
        self._remember(dict(learned))

    def show(self) -> dict:
        """`pedalctl midi`: the ports, the channel, what each CC moves (and whether it was learned)."""
        mapping = self.router.mapping
        return {"enabled": True, "backend": self.ports.backend, "ports": self.ports.names,
                "channel": mapping.channel or "omni", "messages": self.router.messages,
                "cc": {str(control): {"target": target, "learned": self.learned.get(target) == control}
                       for control, target in sorted(mapping.cc.items())},
                "last_program": self.last_program}


def start_midi(settings, pedal, learned: dict[str, int], remember: Callable[[dict[str, int]], None]) -> MidiService:
    """The MIDI thread for pedal.toml's [midi] (a pedal.config.Midi), acting on ``pedal``, running."""
    service = MidiService(Router(Mapping(settings.channel, settings.cc), pedal), ReaderProcess(settings.backend),
                          learned=learned, cc=settings.cc, remember=remember)
    service.start()
    return service
