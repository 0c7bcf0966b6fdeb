"""Fake ALSA devices for pedal.audio and an in-process pedal: PCMs that deliver a signal and
keep what is written, with the abilities (formats, rate, period) a device would have."""

import contextlib
import os
import select
import time

import numpy as np

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
    do it silently replaces, as pyalsaaudio does."""

    def __init__(self, formats=("S32_LE",), rate=None, channels=None, period=None, frames=None, fail=None,
                 **_):
        self.abilities = dict(formats=formats, rate=rate, channels=channels, period=period)
        self.frames = frames  # capture: the signal to deliver, as an iterator of periods
        self.fail = fail
        self._silent = False
        self.written = []
        self.opened = []

    def __call__(self, type, mode, device, rate, channels, format, periodsize, periods):
        a = self.abilities
        name = NAMES[format] if NAMES[format] in a["formats"] else a["formats"][0]
        self.info_ = {"format_name": name, "rate": a["rate"] or rate, "channels": a["channels"] or channels,
                      "period_size": a["period"] or periodsize, "periods": periods}
        self.opened.append(name)
        return self

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
        return next(self.frames)

    def write(self, data):
        self.written.append(bytes(data))
        return len(data)

    def drop(self):
        pass

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
