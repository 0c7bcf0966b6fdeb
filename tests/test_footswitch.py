"""The footswitch and LED, on gpiozero's own mock pins."""

import time

import pytest

pytest.importorskip("gpiozero", reason="gpiozero is a core dependency: pip install gpiozero")
from gpiozero.pins.mock import MockFactory  # noqa: E402

from pedal.config import Footswitch as FootswitchSettings  # noqa: E402
from pedal.footswitch import Footswitch, LedState, PedalControls  # noqa: E402
from tests.support.waiting import wait_for


@pytest.fixture
def factory():
    factory = MockFactory()
    yield factory
    factory.reset()


def press(pin, seconds):
    pin.drive_low()  # the switch pulls the pin to ground
    time.sleep(seconds)
    pin.drive_high()


def test_a_short_press_is_next_and_a_long_press_is_bypass(factory):
    events = []
    switch = Footswitch(17, lambda: events.append("next"), lambda: events.append("bypass"),
                        long_press_s=0.2, debounce_ms=5, pin_factory=factory)
    pin = factory.pin(17)
    press(pin, 0.02)
    assert wait_for(lambda: events == ["next"])
    press(pin, 0.35)
    assert wait_for(lambda: events == ["next", "bypass"])
    time.sleep(0.05)
    assert events == ["next", "bypass"]  # releasing after a long press does not also go next
    switch.close()


def test_the_long_press_acts_while_the_switch_is_still_held(factory):
    events = []
    Footswitch(17, lambda: events.append("next"), lambda: events.append("bypass"),
               long_press_s=0.1, debounce_ms=5, pin_factory=factory)
    pin = factory.pin(17)
    pin.drive_low()
    assert wait_for(lambda: events == ["bypass"], timeout=1.0)
    pin.drive_high()


def test_contact_bounce_counts_as_one_press(factory):
    events = []
    Footswitch(17, lambda: events.append("next"), None, debounce_ms=30, pin_factory=factory)
    pin = factory.pin(17)
    for _ in range(5):  # a bouncing contact: fast flips within the debounce time
        pin.drive_low()
        pin.drive_high()
    pin.drive_low()
    time.sleep(0.05)
    pin.drive_high()
    time.sleep(0.05)
    assert events == ["next"]


def test_controls_wire_both_switches_and_the_led(factory):
    events = []
    settings = FootswitchSettings(pin=17, previous_pin=22, led_pin=27, long_press_s=0.2, debounce_ms=5)
    controls = PedalControls(settings, perform=lambda action: events.append(action.verb), pin_factory=factory)
    press(factory.pin(22), 0.02)
    press(factory.pin(17), 0.02)
    assert wait_for(lambda: events == ["prev", "next"])
    led = factory.pin(27)
    controls.show(LedState.ACTIVE)
    assert led.state
    controls.show(LedState.BYPASSED)
    assert not led.state
    controls.show(LedState.BUSY)
    assert wait_for(lambda: led.state) and wait_for(lambda: not led.state)  # blinking
    controls.close()


def test_without_gpio_the_pedal_runs_on_without_switches(caplog):
    class NoGpio:  # what gpiozero meets on a machine with no GPIO chip
        def __getattr__(self, name):
            raise RuntimeError("Unable to load any default pin factory!")

    controls = PedalControls(FootswitchSettings(), lambda action: None, pin_factory=NoGpio())
    assert not controls.available
    controls.show(LedState.ACTIVE)  # a no-op, not an error
    assert caplog.text.count("GPIO unavailable") == 1


def test_bounce_at_release_does_not_make_a_second_press(factory):
    events = []
    Footswitch(17, lambda: events.append("next"), None, debounce_ms=20, pin_factory=factory)
    pin = factory.pin(17)
    pin.drive_low()
    time.sleep(0.06)
    for _ in range(4):  # the contact chatters as the foot lifts
        pin.drive_high()
        time.sleep(0.002)
        pin.drive_low()
        time.sleep(0.002)
    pin.drive_high()
    time.sleep(0.08)
    assert events == ["next"]


# --- what each press does, per switch (pedal.toml) ------------------------------------------------

def test_a_double_press_within_the_window_does_the_double_action_and_a_lone_one_waits_it_out(factory):
    events = []
    Footswitch(17, lambda: events.append("short"), lambda: events.append("long"),
               on_double=lambda: events.append("double"), double_press_s=0.3, long_press_s=0.5, debounce_ms=5,
               pin_factory=factory)
    pin = factory.pin(17)
    press(pin, 0.03)
    time.sleep(0.1)
    press(pin, 0.03)
    assert wait_for(lambda: events == ["double"])
    time.sleep(0.4)
    assert events == ["double"]                         # no short press left behind
    released = time.monotonic()
    press(pin, 0.03)
    assert wait_for(lambda: events == ["double", "short"])
    assert time.monotonic() - released >= 0.3           # held back for the double press's window
    press(pin, 0.03)
    time.sleep(0.1)
    press(pin, 0.6)                                      # a short press, then a long one: each its own
    assert wait_for(lambda: events == ["double", "short", "short", "long"])


def test_without_a_double_action_a_short_press_acts_at_once(factory):
    events = []
    Footswitch(17, lambda: events.append(time.monotonic()), None, debounce_ms=5, pin_factory=factory)
    pin = factory.pin(17)
    press(pin, 0.03)
    released = time.monotonic()
    assert wait_for(lambda: events) and events[0] - released < 0.1


def test_each_switch_does_what_pedal_toml_says(factory):
    from pedal.config import parse_config
    config = parse_config("""
[footswitch]
pin = 17
led_pin = 27
short = "rig Clean Boost"
long = "size down"
double = "bypass"
long_press_s = 0.2
debounce_ms = 5.0
[[footswitch.switch]]
pin = 5
short = "next"
""")
    done = []
    controls = PedalControls(config.footswitch, perform=done.append, pin_factory=factory)
    press(factory.pin(5), 0.02)
    assert wait_for(lambda: [a.verb for a in done] == ["next"])
    press(factory.pin(17), 0.3)
    assert wait_for(lambda: len(done) == 2) and (done[1].verb, done[1].argument) == ("size", "down")
    time.sleep(0.05)
    press(factory.pin(17), 0.02)
    assert wait_for(lambda: len(done) == 3, timeout=1.0) and (done[2].verb, done[2].argument) == ("rig", "Clean Boost")
    press(factory.pin(17), 0.02)
    time.sleep(0.05)
    press(factory.pin(17), 0.02)
    assert wait_for(lambda: len(done) == 4) and done[3].verb == "bypass"
    controls.close()
