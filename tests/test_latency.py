"""The round trip, input to output, through pedald on JACK's dummy driver, measured by jackd2's
own `jack_iodelay` (it plays a signal into pedald's capture port and times what comes back on its
input), at 64 and 128 frames: it is the latency pedald reports, its two primed periods (the period
captured before it can be processed, and the one waiting in playback) and the engine's own, which
for a capture at the device's rate is only the output limiter's look-ahead. Bypassed, so the path is
linear as the meter needs (the dry path is delayed as the captures would be)."""

import re
import subprocess
import time

import pytest

from pedal.control import request
from pedal.demo import RATE, JackDummy, daemon_command, write_config
from tests.support.paths import ROOT, shared_model
from tests.support.waiting import daemon_status, wait_for

pytestmark = pytest.mark.skipif(not JackDummy.available(), reason="jackd is not installed (Debian package jackd2)")

PRIME = 2   # periods of silence pedald primes playback with
MEASURED = re.compile(r"([\d.]+) frames\s+([\d.]+) ms total roundtrip latency")


class IoDelay:
    """jack_iodelay on the JACK server: its ports jack_delay:out (the signal) and jack_delay:in."""

    def __init__(self, env):
        self.process = subprocess.Popen(["jack_iodelay"], env=env, stdout=subprocess.PIPE,
                                        stderr=subprocess.DEVNULL, text=True, bufsize=1)
        self.env = env

    def connect(self, source, destination):
        subprocess.run(["jack_connect", source, destination], env=self.env, check=True, capture_output=True)

    def disconnect(self, source, destination):
        subprocess.run(["jack_disconnect", source, destination], env=self.env, check=True, capture_output=True)

    def measure(self, settle_s=1.5, lines=20) -> float:
        """The round trip in frames once it is steady: the last of ``lines`` readings after ``settle_s``."""
        time.sleep(settle_s)
        readings = []
        while len(readings) < lines:
            line = self.process.stdout.readline()
            assert line, "jack_iodelay stopped"
            found = MEASURED.search(line)
            if found:
                readings.append(float(found.group(1)))
        assert max(readings[-5:]) - min(readings[-5:]) < 1.0, readings   # steady
        return readings[-1]

    def close(self):
        self.process.terminate()
        self.process.wait(5)


def asoundrc(directory):
    (directory / ".asoundrc").write_text(
        'pcm.pedal_in { type jack; capture_ports { 0 "jack_delay:out" } }\n'
        'pcm.pedal_out { type jack; playback_ports { 0 "jack_delay:in" } }\n')


@pytest.mark.parametrize("period", [64, 128])
def test_the_round_trip_is_the_two_primed_periods_and_the_limiters_look_ahead(tmp_path, period):
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
            env["HOME"] = str(tmp_path)
            with open(tmp_path / "pedald.log", "wb") as log:
                daemon = subprocess.Popen(daemon_command(config, "--seconds", "30"), env=env, cwd=ROOT,
                                          stdout=log, stderr=subprocess.STDOUT)
            try:
                sock = tmp_path / "control.sock"
                status = wait_for(lambda: (s := daemon_status(sock, daemon, tmp_path / "pedald.log")) and
                                  s["audio"] == "running" and s, 30, "audio to run", poll=0.05)
                assert request(sock, {"cmd": "bypass", "on": True})["ok"]
                through_pedal = meter.measure()
                status = daemon_status(sock, daemon, tmp_path / "pedald.log")
            finally:
                daemon.terminate()
                daemon.wait(15)
        finally:
            meter.close()
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
