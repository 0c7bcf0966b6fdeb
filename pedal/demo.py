"""`make run`: the pedal daemon in the foreground.

    python -m pedal.demo

With a sound card, it runs pedald with the default configuration
(/etc/pedal/pedal.toml when it exists) until Ctrl-C. Without one (no ALSA
card: a container, a CI machine), it says so in one line and plays the DI clip
(pedal/data/di_clip.wav, looped) through the pedal instead: JACK's dummy
driver clocks the audio, ALSA's `file` plugin feeds the clip in as the
capture and records the playback, and pedald
runs on those devices unchanged, through the bundled default model. It prints
a status line every 5 s, stops after DEMO_SECONDS (environment, default 30)
with a summary line (xruns: how many in the first second and after, and their
causes), and writes what it played to build/demo-out.wav. DEMO_PERIOD (default
128) sets the period in frames, for JACK and pedald alike; DEMO_LOAD (default 0)
starts that many processes spinning at normal priority beside it, as a compile
would.

The pieces (JackDummy, write_asoundrc, write_config) are what the end-to-end
test uses too.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from pedal import wavfile
from pedal.audio import sound_cards
from pedal.signals import di_clip, guitar_like

ROOT = Path(__file__).resolve().parent.parent
RATE = 48000
PERIOD = 128


class JackError(RuntimeError):
    pass


class JackDummy:
    """A private JACK server on the dummy driver (no sound card), killed on exit.

        >>> with JackDummy(rate=48000, period=128) as jack:
        ...     subprocess.run(cmd, env=jack.env(os.environ))

    It runs under its own server name, so it never meets another JACK on the
    machine; clients find it through JACK_DEFAULT_SERVER in ``env()``. It asks
    for real-time scheduling and falls back to --no-realtime when refused.
    """

    def __init__(self, rate: int = RATE, period: int = PERIOD, log_path: Path | None = None) -> None:
        self.rate, self.period = rate, period
        self.name = f"pedal-{os.getpid()}-{int(time.monotonic() * 1000) % 100000}"
        self.log_path = log_path
        self.process: subprocess.Popen | None = None
        self.realtime = False

    @staticmethod
    def available() -> bool:
        return shutil.which("jackd") is not None

    def env(self, base=None) -> dict:
        env = dict(os.environ if base is None else base)
        env["JACK_DEFAULT_SERVER"] = self.name
        env["JACK_NO_AUDIO_RESERVATION"] = "1"
        env["JACK_NO_START_SERVER"] = "1"
        return env

    def __enter__(self) -> "JackDummy":
        if not self.available():
            raise JackError("jackd is not installed (Debian package jackd2)")
        for realtime in (True, False):
            if self._start(realtime):
                self.realtime = realtime
                return self
        raise JackError(f"jackd did not start; see {self.log_path or 'its output'}")

    def _start(self, realtime: bool) -> bool:
        command = ["jackd", "-n", self.name] + (["-R", "-P", "80"] if realtime else ["--no-realtime"]) + \
                  ["-d", "dummy", "-r", str(self.rate), "-p", str(self.period)]
        output = open(self.log_path, "ab") if self.log_path else subprocess.DEVNULL
        self.process = subprocess.Popen(command, stdout=output, stderr=subprocess.STDOUT, env=self.env(),
                                        start_new_session=True)
        if self.log_path:
            output.close()
        deadline = time.monotonic() + 10.0
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                return False
            waited = subprocess.run(["jack_wait", "-c"], env=self.env(), capture_output=True, text=True)
            if "running" in waited.stdout and "not running" not in waited.stdout:
                return True
            time.sleep(0.1)
        self.__exit__()
        return False

    def kill(self) -> None:
        """Kills the server (SIGKILL), as a crash would: its clients lose their device."""
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait(5)

    def restart(self) -> None:
        """Starts the server again under the same name, as after a crash: its clients may come back."""
        self.kill()
        if not self._start(self.realtime):
            raise JackError(f"jackd did not start again; see {self.log_path or 'its output'}")

    def __exit__(self, *exc) -> None:
        process, self.process = self.process, None
        if process is None or process.poll() is not None:
            return
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(5)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(5)


def write_asoundrc(directory: Path, di_raw: Path, out_raw: Path) -> Path:
    """ALSA devices over JACK for pedald: "pedal_in" captures ``di_raw`` (raw
    FLOAT_LE mono, replacing what JACK delivers), "pedal_out" plays to JACK and
    records what is played to ``out_raw``. alsa-lib reads it as ~/.asoundrc:
    run the daemon with HOME=directory."""
    text = f"""# Written by pedal.demo: the pedal's devices without a sound card.
pcm.pedal_jack_in {{ type jack; capture_ports {{ 0 system:capture_1 }} }}
pcm.pedal_jack_out {{ type jack; playback_ports {{ 0 system:playback_1 }} }}
pcm.pedal_in {{ type file; slave.pcm "pedal_jack_in"; file "/dev/null"; infile "{di_raw}"; format "raw" }}
pcm.pedal_out {{ type file; slave.pcm "pedal_jack_out"; file "{out_raw}"; format "raw" }}
"""
    path = Path(directory) / ".asoundrc"
    path.write_text(text)
    return path


def write_config(directory: Path, *, period: int = PERIOD, periods: int = 2, socket: Path | None = None,
                 models: Path | None = None, footswitch: str = 'pin = "none"\nled_pin = "none"',
                 extra: str = "") -> Path:
    """A pedal.toml for the JACK devices, with the socket, state, models, cabinets and rigs in ``directory``."""
    directory = Path(directory)
    text = f"""[audio]
capture_device = "pedal_in"
playback_device = "pedal_out"
rate = {RATE}
period = {period}
periods = {periods}
capture_channels = 1
input_channel = 0
playback_channels = 1

[footswitch]
{footswitch}

[library]
models_dir = "{models or directory / 'models'}"
state_file = "{directory / 'state.json'}"
irs_dir = "{directory / 'irs'}"
rigs_dir = "{directory / 'rigs'}"

[control]
socket = "{socket or directory / 'control.sock'}"
{extra}
"""
    path = directory / "pedal.toml"
    path.write_text(text)
    return path


def write_di(path: Path, seconds: float, rate: int = RATE, phrase: np.ndarray | None = None) -> np.ndarray:
    """A DI signal looped to ``seconds``, as raw FLOAT_LE mono: ``phrase`` (the
    demo passes the bundled DI clip), or 8 s of pedal.signals.guitar_like, the
    signal the end-to-end test's tolerances were measured on."""
    if phrase is None:
        phrase = guitar_like(8.0, rate=rate, seed=1)
    clip = np.resize(phrase, int(seconds * rate)).astype("<f4")
    clip.tofile(path)
    return clip


def daemon_command(config: Path, *args: str) -> list[str]:
    return [sys.executable, "-m", "pedal.pedald", "--config", str(config), *args]


def run_on_card() -> int:
    config = "/etc/pedal/pedal.toml"
    print(f"demo: sound card(s) {', '.join(sound_cards())}: running pedald with {config} "
          "(defaults where it is absent); Ctrl-C stops it", flush=True)
    os.execv(sys.executable, daemon_command(Path(config)))
    return 1  # not reached


SPIN = "while True:\n    sum(i * i for i in range(10000))\n"


@contextlib.contextmanager
def spinning(count: int):
    """``count`` processes that keep a core each busy at normal priority, killed on exit."""
    spinners = [subprocess.Popen([sys.executable, "-c", SPIN]) for _ in range(count)]
    try:
        yield spinners
    finally:
        for spinner in spinners:
            spinner.kill()
            spinner.wait()


def run_on_jack(seconds: float, period: int = PERIOD, load: int = 0) -> int:
    beside = f", {load} spinning process(es) beside it" if load else ""
    print("demo: no sound card here (no ALSA card); playing a DI clip through pedald on JACK's dummy driver "
          f"for {seconds:g} s at a {period}-frame period{beside}", flush=True)
    if not JackDummy.available():
        print("demo: jackd is not installed (Debian package jackd2; tools/setup-system.sh run)", file=sys.stderr)
        return 1
    with tempfile.TemporaryDirectory(prefix="pedal-demo-") as temporary:
        directory = Path(temporary)
        di_raw, out_raw = directory / "di.raw", directory / "out.raw"
        write_di(di_raw, seconds + 10.0, phrase=di_clip())  # the bundled guitar phrase, 48 kHz
        write_asoundrc(directory, di_raw, out_raw)
        config = write_config(directory, period=period)
        try:
            with JackDummy(period=period, log_path=directory / "jackd.log") as jack, spinning(load):
                env = jack.env()
                env["HOME"] = str(directory)
                result = subprocess.run(daemon_command(config, "--demo", "--seconds", f"{seconds:g}"), env=env)
        except JackError as error:
            print(f"demo: {error}", file=sys.stderr)
            return 1
        if out_raw.exists():
            played = np.fromfile(out_raw, "<f4")
            target = ROOT / "build" / "demo-out.wav"
            target.parent.mkdir(parents=True, exist_ok=True)
            wavfile.write(target, played, RATE)
            print(f"demo: what the pedal played is in {target}", flush=True)
        return result.returncode


def main(argv=None) -> int:
    seconds = float(os.environ.get("DEMO_SECONDS", "30"))
    if sound_cards() or Path("/proc/asound/cards").exists() and Path("/proc/asound/cards").read_text().strip() \
            not in ("", "--- no soundcards ---"):
        return run_on_card()
    return run_on_jack(seconds, int(os.environ.get("DEMO_PERIOD", PERIOD)), int(os.environ.get("DEMO_LOAD", "0")))


if __name__ == "__main__":
    sys.exit(main())
