"""The round trip, input to output, through pedald on JACK's dummy driver, measured by jackd2's
own `jack_iodelay` (it plays a signal into pedald's capture port and times what comes back on its
input), at 64 and 128 frames: it is the latency pedald reports, its two primed periods (the period
captured before it can be processed, and the one waiting in playback) and the engine's own, which
for a capture at the device's rate is only the output limiter's look-ahead. Bypassed, so the path is
linear as the meter needs (the dry path is delayed as the captures would be)."""

import contextlib
import re
import subprocess
import threading
import time

import pytest

from pedal.control import request
from pedal.demo import RATE, JackDummy, write_config
from tests.support.holding import can_hold, hold_thread
from tests.support.jack_pedald import pedald_on
from tests.support.paths import shared_model
from tests.support.waiting import daemon_status, wait_for

pytestmark = pytest.mark.skipif(not JackDummy.available(), reason="jackd is not installed (Debian package jackd2)")

PRIME = 2   # periods of silence pedald primes playback with
AUDIO_PRIORITY = 70   # pedald's audio thread (the default [audio] priority): no other thread has it
MEASURED = re.compile(r"([\d.]+) frames\s+([\d.]+) ms total roundtrip latency")


class IoDelay:
    """jack_iodelay on the JACK server: its ports jack_delay:out (the signal) and jack_delay:in."""

    def __init__(self, env):
        self.process = subprocess.Popen(["jack_iodelay"], env=env, stdout=subprocess.PIPE,
                                        stderr=subprocess.DEVNULL, text=True, bufsize=1)
        self.env = env
        # Its readings as they come, with when they came: a measurement takes only fresh ones
        # (the pipe would otherwise hand back what the meter printed long before).
        self.readings: list[tuple[float, float]] = []
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self):
        for line in self.process.stdout:
            found = MEASURED.search(line)
            if found:
                self.readings.append((time.monotonic(), float(found.group(1))))

    def connect(self, source, destination):
        subprocess.run(["jack_connect", source, destination], env=self.env, check=True, capture_output=True)

    def disconnect(self, source, destination):
        subprocess.run(["jack_disconnect", source, destination], env=self.env, check=True, capture_output=True)

    def measure(self, settle_s=1.5, lines=5) -> float:
        """The round trip in frames once it is steady: the last of ``lines`` readings made after ``settle_s``."""
        since = time.monotonic() + settle_s
        fresh = wait_for(lambda: (r := [frames for at, frames in self.readings if at > since]) and
                         len(r) >= lines and r, settle_s + 15, "jack_iodelay's readings", poll=0.05)
        assert max(fresh[-lines:]) - min(fresh[-lines:]) < 1.0, fresh   # steady
        return fresh[-1]

    def close(self):
        self.process.terminate()
        self.process.wait(5)


def asoundrc(directory):
    (directory / ".asoundrc").write_text(
        'pcm.pedal_in { type jack; capture_ports { 0 "jack_delay:out" } }\n'
        'pcm.pedal_out { type jack; playback_ports { 0 "jack_delay:in" } }\n')


@contextlib.contextmanager
def metered_pedald(tmp_path, period):
    """(meter, daemon, status, jack_loop): pedald bypassed between jack_iodelay's ports, playing a
    48 kHz LSTM capture; ``jack_loop`` is JACK's own loop, measured before pedald started."""
    models = tmp_path / "models"
    models.mkdir()
    (models / "amp.nam").write_bytes(shared_model("bench/lstm_1x16.nam").read_bytes())   # 48 kHz
    asoundrc(tmp_path)
    config = write_config(tmp_path, period=period, periods=2, models=models)
    with JackDummy(RATE, period, log_path=tmp_path / "jackd.log") as jack:
        env = jack.env()
        meter = IoDelay(env)
        try:
            # JACK's own loop: the meter's output straight into its input.
            wait_for(lambda: subprocess.run(["jack_lsp"], env=env, capture_output=True, text=True).stdout
                     .count("jack_delay:") == 2, 10, "jack_iodelay's ports")
            meter.connect("jack_delay:out", "jack_delay:in")
            jack_loop = meter.measure()
            meter.disconnect("jack_delay:out", "jack_delay:in")
            # Through pedald, bypassed (its ALSA devices connect to the meter's ports when opened).
            with pedald_on(jack, tmp_path, config, 30) as daemon:
                sock = tmp_path / "control.sock"
                wait_for(lambda: (s := daemon_status(sock, daemon, tmp_path / "pedald.log")) and
                         s["audio"] == "running" and s, 30, "audio to run", poll=0.05)
                assert request(sock, {"cmd": "bypass", "on": True})["ok"]
                yield meter, daemon, lambda: daemon_status(sock, daemon, tmp_path / "pedald.log"), jack_loop
        finally:
            meter.close()


@pytest.mark.parametrize("period", [64, 128])
def test_the_round_trip_is_the_two_primed_periods_and_the_limiters_look_ahead(tmp_path, period):
    with metered_pedald(tmp_path, period) as (meter, daemon, status, jack_loop):
        through_pedal = meter.measure()
        status = status()
    reported = status["latency_ms"] / 1000 * RATE      # pedald's own figure: primed periods and the engine
    engine = reported - PRIME * period
    print(f"\nLATENCY at {period} frames: round trip {through_pedal:.0f} frames "
          f"({through_pedal / RATE * 1000:.2f} ms); pedald reports {reported:.0f} = {PRIME} x {period} primed "
          f"+ {engine:.0f} of the engine's limiter look-ahead; JACK's loop alone {jack_loop:.0f} "
          f"(the cycle a client's output waits for to reach an input); xruns {status['xruns']}")
    # The whole round trip is what pedald reports: the period captured before it is processed and the
    # period it waits in playback are the two primed periods; JACK adds none of its own beyond them.
    assert through_pedal == pytest.approx(reported, abs=0.5)
    assert jack_loop == pytest.approx(period, abs=0.5)
    # A capture at the device's rate adds nothing but the limiter's look-ahead (0.25 ms).
    assert engine == pytest.approx(round(0.25e-3 * RATE), abs=0.05)   # (latency_ms has 3 decimals)


@pytest.mark.skipif(not can_hold(), reason="holding pedald's audio thread needs root and two CPUs")
def test_after_the_audio_thread_is_held_the_round_trip_is_the_reported_one_again(tmp_path):
    # Held off the CPU while JACK's clock and clients go on (a machine stall, a long system call),
    # the audio thread finds capture overrun or playback run dry, with a backlog on the other side:
    # it puts the latency back to the primed periods (it used to re-prime playback on top of what
    # capture held, and play up to two periods later from then on).
    with metered_pedald(tmp_path, 128) as (meter, daemon, status, jack_loop):
        before = meter.measure()
        for seconds in (0.004, 0.008, 0.03):
            hold_thread(daemon.pid, AUDIO_PRIORITY, seconds, beside=[meter.process.pid, daemon.jack.process.pid])
            time.sleep(0.3)
        after = meter.measure()
        status = status()
    reported = status["latency_ms"] / 1000 * RATE
    print(f"\nLATENCY after the audio thread was held 4, 8 and 30 ms: round trip {before:.0f} frames before, "
          f"{after:.0f} after; xruns {status['xruns']} "
          f"({', '.join(x['side'] for x in status['xrun_causes']['last'])})")
    assert status["xruns"] >= 1 and status["audio"] == "running"
    assert before == pytest.approx(reported, abs=0.5) and after == pytest.approx(reported, abs=0.5)
