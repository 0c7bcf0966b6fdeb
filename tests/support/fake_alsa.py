"""Fake ALSA devices for pedal.audio and an in-process pedal: PCMs that deliver a signal and
keep what is written, with the abilities (formats, rate, period) a device would have."""

import contextlib
import errno
import os
import select
import time

import numpy as np

from pedal.alsa import alsaaudio
from pedal.sample_formats import FORMATS

NAMES = {f.alsa: f.name for f in FORMATS.values()}


def interleave(channels, sample_format):
    """Stores float channels the way ALSA would, with numpy's own (allocating) arithmetic."""
    stacked = np.stack(channels, axis=1)
    if sample_format.is_float:
        return stacked.astype(sample_format.dtype).tobytes()
    ints = np.clip(np.rint(stacked.astype(np.float64) * sample_format.full_scale),
                   -sample_format.full_scale, sample_format.full_scale - 1).astype(np.int64)
    if sample_format.name == "S24_3LE":
        return np.stack([(ints >> (8 * k)) & 0xFF for k in range(3)], axis=2).astype(np.uint8).tobytes()
    return ints.astype(sample_format.dtype).tobytes()


class FakePCM:
    """Acts like alsaaudio.PCM on a device with fixed abilities: whatever it cannot
    do it silently replaces, as pyalsaaudio does.

    Its clock is the capture's: each period read is a device period, in which a running playback
    (the one opened after that capture, as on one card) plays a period of what was written."""

    _last_capture = None

    def __init__(self, formats=("S32_LE",), rate=None, channels=None, period=None, frames=None, fail=None,
                 underrun_at=None, **_):
        self.abilities = dict(formats=formats, rate=rate, channels=channels, period=period)
        self.frames = frames  # capture: the signal to deliver, as an iterator of periods
        self.fail = fail
        self.underrun_at = underrun_at  # playback: the write (counted from 0) that finds the device run dry
        self.writes = 0
        self._silent = False
        self.written = []
        self.opened = []

    def __call__(self, type, mode, device, rate, channels, format, periodsize, periods):
        a = self.abilities
        name = NAMES[format] if NAMES[format] in a["formats"] else a["formats"][0]
        self.info_ = {"format_name": name, "rate": a["rate"] or rate, "channels": a["channels"] or channels,
                      "period_size": a["period"] or periodsize, "periods": periods}
        self.opened.append(name)
        if type == alsaaudio.PCM_CAPTURE:
            self.delivered, self.held_back, FakePCM._last_capture = 0, 0, self
        else:
            self.clock, self._queued, self._since = FakePCM._last_capture, 0, None
        return self

    def _played(self) -> int:
        return 0 if self._since is None or self.clock is None else self.clock.delivered - self._since

    def avail(self):
        if not hasattr(self, "clock"):
            return self.held_back  # capture: reading keeps up, nothing waits but a backlog
        buffer = self.info_["period_size"] * self.info_["periods"]
        return buffer - max(self._queued - self._played(), 0)

    def info(self):
        return dict(self.info_)

    def getformats(self):
        return {name: 0 for name in self.abilities["formats"]}

    def polldescriptors(self):
        # A pipe holding a byte while the device delivers: always ready, read() paces it.
        if not hasattr(self, "_ready"):
            self._ready = os.pipe()
            os.write(self._ready[1], b"x")
        return [(self._ready[0], select.POLLIN)]

    def polldescriptors_revents(self, events):
        return select.POLLIN

    @property
    def silent(self) -> bool:
        return self._silent

    @silent.setter
    def silent(self, silent: bool) -> None:
        """True: a device that stopped without an error (jackd killed): its poll never fires."""
        self.polldescriptors()
        if silent and not self._silent:
            os.read(self._ready[0], 1)
        elif self._silent and not silent:
            os.write(self._ready[1], b"x")
        self._silent = silent

    def __del__(self):
        for fd in getattr(self, "_ready", ()):
            os.close(fd)

    def read(self):
        if self.fail is not None:
            failure, self.fail = self.fail, None
            if isinstance(failure, Exception):
                raise failure
            return failure, b""
        time.sleep(0.001)
        n, data = next(self.frames)
        self.delivered += max(n, 0)
        return n, data

    def stand_still(self, periods: int) -> None:
        """Playback misses ``periods`` device periods and says nothing (JACK skipping its client):
        a blocking write waits them out, so that much more waits in capture from then on."""
        self.clock.held_back += periods * self.info_["period_size"]

    def write(self, data):
        self.writes += 1
        if self.writes - 1 == self.underrun_at:  # run dry: pyalsaaudio prepares playback again
            self.drop()
            return -errno.EPIPE
        self.written.append(bytes(data))
        if self._since is None and self.clock is not None:  # a stopped playback starts with its first write
            self._since = self.clock.delivered
        self._queued += len(self.written[-1]) // (FORMATS[self.info_["format_name"]].width * self.info_["channels"])
        return len(data)

    def drop(self):
        if hasattr(self, "clock"):
            self._queued, self._since = 0, None

    def close(self):
        pass


def periods_of(signal, channels, fmt, period):
    """A capture's reads: ``signal`` in periods of ``fmt``, then silence for ever."""
    for start in range(0, len(signal), period):
        chunk = signal[start:start + period]
        yield len(chunk), interleave([chunk] * channels, fmt)
    while True:
        yield period, interleave([np.zeros(period, np.float32)] * channels, fmt)


def looped(signal, fmt, period):
    """A capture's reads: ``signal`` (a whole number of periods) over and over, as a held note."""
    periods = [interleave([signal[start:start + period]], fmt) for start in range(0, len(signal), period)]
    while True:
        for data in periods:
            yield period, data


def devices(guitar=None):
    """An in-process pedal's pcm_factory: "in" captures silence (or ``guitar``, a mono float
    signal of whole 64-frame periods, looped), "out" keeps what is played (``factory.playback``)."""
    fmt = FORMATS["S32_LE"]
    frames = periods_of(np.zeros(0, np.float32), 1, fmt, 64) if guitar is None else looped(guitar, fmt, 64)
    capture = FakePCM(frames=frames)
    playback = FakePCM()

    def factory(type, device, **kw):
        return (capture if device == "in" else playback)(type=type, device=device, **kw)

    factory.playback = playback
    return factory


def in_process_config(tmp_path, models, footswitch: str, state_file) -> str:
    """pedal.toml for a pedal in-process on devices(): mono "in" and "out" at 64-frame periods,
    ``footswitch``'s settings, the library in ``models``, the socket and IRs under ``tmp_path``."""
    return f"""
[audio]
capture_device = "in"
playback_device = "out"
period = 64
capture_channels = 1
playback_channels = 1
[footswitch]
{footswitch}
[library]
models_dir = "{models}"
state_file = "{state_file}"
irs_dir = "{tmp_path / 'irs'}"
rigs_dir = "{tmp_path / 'rigs'}"
[control]
socket = "{tmp_path / 'control.sock'}"
"""


@contextlib.contextmanager
def in_process_pedals(factory, guitar=None):
    """``start(config)``: a pedal.daemon.Pedal started in-process on devices(guitar) and
    ``factory``'s mock pins; every one started is closed, and the pins reset, on the way out."""
    from pedal.daemon import Pedal
    started = []

    def start(config):
        pedal = Pedal(config, pin_factory=factory, pcm_factory=devices(guitar))
        pedal.start()
        started.append(pedal)
        return pedal
    try:
        yield start
    finally:
        for pedal in started:
            pedal.close()
        factory.reset()
