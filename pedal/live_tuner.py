"""The daemon's tuner: the engine listens to the guitar, a thread reads it 20 times a second,
and each reading goes to the LED and to whoever watches (the control socket's ``tuner``
with ``"watch": true``, which ``pedalctl tune`` and the web page use).

    >>> tuner = LiveTuner(engine, config.tuner, show=controls.show)
    >>> tuner.turn(True)            # the output mutes (or the dry guitar passes), readings flow
    >>> for line in tuner.watch():  # {"tuning": true, "note": "E", "octave": 2, "cents": -3.1, ...}
    ...     print(line)
    >>> tuner.turn(False)

The audio thread's part is in the core (Engine.set_tuner: a copy of the input into the pitch
detector's rings while tuning); everything here runs on control-side threads. A slow watcher
never holds anything up: each gets the latest reading when it is ready for one, and readings
it was too slow for are skipped, not queued.
"""

from __future__ import annotations

import logging
import threading
import time
from typing import Callable, Iterator

from pedal.footswitch import LedState
from pedal.tuner import IN_TUNE_CENTS, READ_EVERY_S, NoteHold, Reading, check_a4, reading_of

log = logging.getLogger(__name__)

__all__ = ["LiveTuner", "led_state_of"]

IDLE_BEAT_S = 1.0       # a watcher hears {"tuning": false} this often while the tuner is closed


def led_state_of(reading: Reading) -> LedState:
    """The LED for a reading: steady within IN_TUNE_CENTS, a slow blink flat, a fast blink sharp,
    a short flash each second with no note."""
    if reading.note is None:
        return LedState.NO_NOTE
    if abs(reading.cents) <= IN_TUNE_CENTS:
        return LedState.IN_TUNE
    return LedState.FLAT if reading.cents < 0 else LedState.SHARP


class LiveTuner:
    """Opens and closes the engine's tuner and publishes what it hears.

    ``settings`` is a pedal.config.Tuner (a4, output "mute" or "through", threshold_db);
    ``show`` is handed the LED state for each reading while tuning.
    """

    def __init__(self, engine, settings, show: Callable[[LedState], None] | None = None) -> None:
        self._engine = engine
        self.a4 = check_a4(settings.a4)
        self.output = settings.output
        self.threshold_db = settings.threshold_db
        self._show = show
        self._changed = threading.Condition()
        self._tuning = False
        self._closed = False
        self._opened_at = 0.0
        self._sequence = 0
        self._latest: dict = {"tuning": False}
        self._thread: threading.Thread | None = None

    @property
    def tuning(self) -> bool:
        return self._tuning

    def state(self) -> dict:
        """For status: open or not, how, and the last reading while open."""
        with self._changed:
            state = {"on": self._tuning, "output": self.output, "a4": self.a4}
            if self._tuning:
                state["reading"] = {k: v for k, v in self._latest.items() if k not in ("tuning", "a4")}
            return state

    def turn(self, on: bool, a4: float | None = None) -> bool:
        """Opens or closes the tuner; False when it already was so. ``a4``: the reference
        from now on (taken at once when it is already open)."""
        with self._changed:
            if a4 is not None:
                self.a4 = check_a4(a4)
            if on == self._tuning or self._closed:
                return False
            self._tuning = on
            self._engine.set_tuner(self.output if on else "off")
            if on:
                self._opened_at = time.monotonic()
                self._publish(reading_of_nothing())
                self._thread = threading.Thread(target=self._read, name="pedal-tuner", daemon=True)
                self._thread.start()
                thread = None
            else:
                self._publish(None)
                thread, self._thread = self._thread, None
        if thread is not None:  # after the lock: its last reading may be waiting for it
            thread.join(2.0)
        log.info("tuner %s", f"on ({self.output}, A4 = {self.a4:g} Hz)" if on else "off")
        return True

    def close(self) -> None:
        self.turn(False)
        with self._changed:
            self._closed = True
            self._changed.notify_all()

    def watch(self) -> Iterator[dict]:
        """The readings, as they come (a generator; it ends when the tuner is closed for good):
        each ``{"tuning": true, "a4": ..., **Reading}`` while tuning, and ``{"tuning": false}``
        when it closes and once a second while it stays closed."""
        with self._changed:
            seen, latest = self._sequence, self._latest
        yield latest
        while True:
            with self._changed:
                self._changed.wait_for(lambda: self._sequence != seen or self._closed, timeout=IDLE_BEAT_S)
                if self._closed:
                    return
                seen, latest = self._sequence, self._latest
            yield latest

    def _publish(self, reading: Reading | None) -> None:
        """Under the lock: the newest reading for watchers (None: closed)."""
        self._latest = {"tuning": False} if reading is None else {"tuning": True, "a4": self.a4, **reading.as_dict()}
        self._sequence += 1
        self._changed.notify_all()

    def _read(self) -> None:
        hold, due = NoteHold(self.a4), time.monotonic()
        while True:
            with self._changed:
                if not self._tuning:
                    return
                if hold.a4 != self.a4:
                    hold = NoteHold(self.a4)
            pitch = self._engine.read_tuner(self.threshold_db)
            reading = reading_of(pitch, hold, time.monotonic() - self._opened_at)
            with self._changed:
                if not self._tuning:
                    return  # closed while reading: this one is stale
                self._publish(reading)
            if self._show is not None:
                self._show(led_state_of(reading))
            due += READ_EVERY_S
            with self._changed:
                self._changed.wait_for(lambda: not self._tuning, timeout=max(0.0, due - time.monotonic()))


def reading_of_nothing() -> Reading:
    """The reading a tuner shows the moment it opens, before it has heard a window."""
    return Reading(0.0, None, None, None, None, 0.0, -200.0)
