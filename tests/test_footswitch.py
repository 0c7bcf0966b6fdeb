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
    controls = PedalControls(settings, on_next=lambda: events.append("next"),
                             on_previous=lambda: events.append("previous"),
                             on_bypass=lambda: events.append("bypass"), pin_factory=factory)
    press(factory.pin(22), 0.02)
    press(factory.pin(17), 0.02)
    assert wait_for(lambda: events == ["previous", "next"])
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

    controls = PedalControls(FootswitchSettings(), lambda: None, lambda: None, lambda: None, pin_factory=NoGpio())
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
