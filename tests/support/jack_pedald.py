"""pedald as a process on JACK's dummy driver, for the tests that play real ALSA end to end.

    >>> with pedald_on_jack(tmp_path, config, period=128, seconds=50, mock_gpio=True) as daemon:
    ...     status = daemon_status(tmp_path / "control.sock", daemon, tmp_path / "pedald.log")

Its log goes to ``directory / "pedald.log"`` and jackd's to ``directory / "jackd.log"``; on the way
out a pedald still running is stopped (SIGTERM, then SIGKILL if it does not stop in time).
"""

import contextlib
import subprocess

from pedal.demo import RATE, JackDummy, daemon_command
from tests.support.paths import ROOT


@contextlib.contextmanager
def pedald_on_jack(directory, config, period: int, seconds: float, mock_gpio: bool = False):
    with JackDummy(RATE, period, log_path=directory / "jackd.log") as jack:
        with pedald_on(jack, directory, config, seconds, mock_gpio) as daemon:
            yield daemon


@contextlib.contextmanager
def pedald_on(jack, directory, config, seconds: float, mock_gpio: bool = False):
    """pedald on a JACK server already running (a test that starts its own clients first)."""
    env = jack.env()
    env["HOME"] = str(directory)
    if mock_gpio:
        env["PEDAL_GPIO_MOCK"] = "1"
    with open(directory / "pedald.log", "wb") as log:
        daemon = subprocess.Popen(daemon_command(config, "--seconds", str(seconds)), env=env, cwd=ROOT,
                                  stdout=log, stderr=subprocess.STDOUT)
    daemon.jack = jack   # for the tests that kill and restart the server under it
    try:
        yield daemon
    finally:
        if daemon.poll() is None:
            daemon.terminate()
            try:
                daemon.wait(15)
            except subprocess.TimeoutExpired:
                daemon.kill()
                daemon.wait(10)
