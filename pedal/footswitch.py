"""The footswitch and the LED: what the guitarist's foot and eyes meet.

    >>> controls = PedalControls(config.footswitch, perform=pedal.perform)
    >>> controls.show(LedState.ACTIVE)

What each press does is set per switch in pedal.toml (pedal.actions). By default a
short press of the main switch moves to the next sound (a rig, or a model); holding it
for ``long_press_s`` toggles bypass (the moment the time is reached, not on release, so
the foot feels it); holding on to ``hold_s`` opens the tuner (undoing that bypass, so the
sound comes back as it was when the tuner closes); an optional second switch goes to the
previous one. While the tuner is open any press of any switch closes it, and does nothing
else. A double press (a second press within ``double_press_s``) has an action only where
one is set, and only there is a short press held back that long to tell the two apart.
Contact bounce is filtered here, by time, because gpiozero's own bounce_time is not
honoured by its mock pins and differs between pin libraries.

The LED is on while a model plays, off when bypassed and blinks while loading
or after an error. While tuning it is the tuner's needle (README: steady in tune,
slow blink flat, fast blink sharp, a short flash each second with no note). Without
a GPIO chip (not a Pi) the pedal runs without switches and says so once.
"""

from __future__ import annotations

import enum
import logging
import threading
from typing import Callable

from pedal.actions import NONE, Action, parse_action

log = logging.getLogger(__name__)


class LedState(enum.Enum):
    ACTIVE = "active"      # steady on: a model plays
    BYPASSED = "bypassed"  # off
    BUSY = "busy"          # blinking: loading, or something needs attention
    # The tuner (pedal.live_tuner.led_state_of picks one for each reading).
    IN_TUNE = "in tune"    # steady on: within 2 cents
    FLAT = "flat"          # slow blink
    SHARP = "sharp"        # fast blink
    NO_NOTE = "no note"    # a short flash each second: tuning, nothing heard


# (on, off) seconds of each blinking state.
BLINKS = {LedState.BUSY: (0.15, 0.15), LedState.FLAT: (0.4, 0.4), LedState.SHARP: (0.08, 0.08),
          LedState.NO_NOTE: (0.05, 0.95)}


class Footswitch:
    """One momentary switch from a GPIO pin to ground, debounced, with short, long and double presses.

    ``on_short`` runs on release of a press shorter than ``long_press_s``;
    ``on_long`` runs once when a press reaches ``long_press_s`` (pass None to
    make every press a short one), and ``on_hold`` when it reaches ``hold_s``
    (longer than ``long_press_s``). An action that returns True has used the
    press up: no later action of the same press runs (the first press in the
    tuner only closes it). With ``on_double``, a short press whose
    release is followed within ``double_press_s`` by the start of another runs
    ``on_double`` when that one is released, and a lone short press runs
    ``on_short`` once ``double_press_s`` has passed without a second; without
    it, a short press acts at once on release. Callbacks run on a timer thread.

    Debounce: after any edge the pin must keep its level for ``debounce_ms``
    before the change counts, so a bouncing contact gives one press and a
    press is never lost to a bounce that happened to come last.
    """

    def __init__(self, pin: int, on_short: Callable[[], object] | None, on_long: Callable[[], object] | None = None,
                 *, on_double: Callable[[], object] | None = None, on_hold: Callable[[], object] | None = None,
                 long_press_s: float = 0.6, double_press_s: float = 0.3, hold_s: float = 1.5,
                 debounce_ms: float = 20.0, pin_factory=None) -> None:
        from gpiozero import Button

        self._on_short, self._on_long, self._on_double, self._on_hold = on_short, on_long, on_double, on_hold
        self._long_press_s, self._double_press_s, self._hold_s = long_press_s, double_press_s, hold_s
        self._waiting: threading.Timer | None = None   # a short press, waiting to see if a second follows
        self._second = False                           # this press began while one waited: maybe a double
        self._debounce_s = debounce_ms / 1000.0
        self._lock = threading.Lock()
        self._pressed = False        # the debounced state
        self._press_id = 0
        self._long_fired = False
        self._used_up = 0            # the press an action used up (no later action of it runs)
        self._settle: threading.Timer | None = None
        self._button = Button(pin, pull_up=True, bounce_time=None, pin_factory=pin_factory)
        self._button.when_pressed = self._edge
        self._button.when_released = self._edge

    def _edge(self) -> None:
        with self._lock:
            if self._settle is not None:
                self._settle.cancel()
            self._settle = self._start(self._debounce_s, self._settled)

    @staticmethod
    def _start(delay: float, action, *args) -> threading.Timer:
        timer = threading.Timer(delay, action, args=args)
        timer.daemon = True
        timer.start()
        return timer

    def _settled(self) -> None:
        pressed = self._button.is_pressed
        with self._lock:
            if pressed == self._pressed:
                return
            self._pressed = pressed
            if pressed:
                self._press_id += 1
                self._long_fired = False
                self._second = self._waiting is not None
                if self._waiting is not None:
                    self._waiting.cancel()
                    self._waiting = None
                if self._on_long is not None:
                    self._start(max(0.0, self._long_press_s - self._debounce_s), self._held, self._press_id)
                if self._on_hold is not None:
                    self._start(max(0.0, self._hold_s - self._debounce_s), self._held_on, self._press_id)
                return
            if self._long_fired:
                return
            if self._second:
                self._second, action = False, self._on_double
            elif self._on_double is None:
                action = self._on_short
            else:  # wait for a second press (the window counts from the release, as the foot feels it)
                self._waiting = self._start(max(0.0, self._double_press_s - self._debounce_s), self._lone_short)
                return
        self._run(action)

    def _lone_short(self) -> None:
        with self._lock:
            if self._waiting is None:
                return  # a second press came
            self._waiting = None
        self._run(self._on_short)

    def _held(self, press: int) -> None:
        with self._lock:
            if not self._pressed or press != self._press_id:
                return
            self._long_fired = True
            first_short, self._second = self._second, False
        # A short press, then a long one: each does its own, unless one uses the press up.
        if (first_short and self._run(self._on_short)) or self._run(self._on_long):
            with self._lock:
                self._used_up = press

    def _held_on(self, press: int) -> None:
        with self._lock:
            if not self._pressed or press != self._press_id or self._used_up == press:
                return
            self._long_fired = True  # no short action on release
        self._run(self._on_hold)

    @staticmethod
    def _run(action: Callable[[], object] | None) -> bool:
        """Runs ``action``; True when it used the press up."""
        if action is None:
            return False
        try:
            return action() is True
        except Exception:  # a failing action must not kill the switch's thread
            log.exception("footswitch action failed")
            return False

    def close(self) -> None:
        with self._lock:
            for timer in (self._settle, self._waiting):
                if timer is not None:
                    timer.cancel()
        self._button.close()


class Led:
    """The status LED (a GPIO pin driving it through a resistor)."""

    def __init__(self, pin: int, pin_factory=None) -> None:
        from gpiozero import LED

        self._led = LED(pin, pin_factory=pin_factory)
        self.state: LedState | None = None

    def show(self, state: LedState) -> None:
        if state == self.state:
            return
        self.state = state
        if state in (LedState.ACTIVE, LedState.IN_TUNE):
            self._led.on()
        elif state is LedState.BYPASSED:
            self._led.off()
        else:
            on_time, off_time = BLINKS[state]
            self._led.blink(on_time=on_time, off_time=off_time)

    def close(self) -> None:
        self._led.close()


class PedalControls:
    """The footswitches and LED wired to the pedal's actions, as configured: the main switch
    (``pin``: ``short``, ``long``, ``double``), the previous switch (``previous_pin``:
    ``previous_short`` ...) and any more (``switch``), each press's action (pedal.actions)
    handed to ``perform``.

    With no GPIO available, ``available`` is False and everything is a no-op.
    """

    def __init__(self, settings, perform: Callable[[Action], bool | None], pin_factory=None) -> None:
        self.switches: list[Footswitch] = []
        self.led: Led | None = None
        self.available = True

        def handler(text: str) -> Callable[[], bool | None] | None:
            action = parse_action(text)
            return None if action.verb == NONE else (lambda: perform(action))

        def hold_handler(text: str, long: str) -> Callable[[], bool | None] | None:
            # Holding on past a long press that toggled bypass undoes it first: the tuner then
            # opens on the sound as it was, and closes back to it.
            hold = handler(text)
            if hold is None or parse_action(long).verb != "bypass":
                return hold
            return lambda: perform(Action("bypass")) or hold()

        wired = [(settings.pin, settings.short, settings.long, settings.double, settings.hold),
                 (settings.previous_pin, settings.previous_short, settings.previous_long, settings.previous_double,
                  settings.previous_hold)]
        wired += [(switch.pin, switch.short, switch.long, switch.double, switch.hold) for switch in settings.switch]
        try:
            for pin, short, long, double, hold in wired:
                if pin is not None:
                    self.switches.append(Footswitch(pin, handler(short), handler(long), on_double=handler(double),
                                                    on_hold=hold_handler(hold, long),
                                                    long_press_s=settings.long_press_s,
                                                    double_press_s=settings.double_press_s, hold_s=settings.hold_s,
                                                    debounce_ms=settings.debounce_ms, pin_factory=pin_factory))
            if settings.led_pin is not None:
                self.led = Led(settings.led_pin, pin_factory=pin_factory)
        except Exception as error:  # no GPIO chip, no permission, no gpiozero backend
            self.close()
            self.available = False
            log.warning("no footswitch or LED: GPIO unavailable (%s: %s); running without them",
                        type(error).__name__, error)

    def show(self, state: LedState) -> None:
        if self.led is not None:
            self.led.show(state)

    def close(self) -> None:
        for switch in self.switches:
            switch.close()
        self.switches = []
        if self.led is not None:
            self.led.close()
            self.led = None
