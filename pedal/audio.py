"""The audio interface: guitar in, pedal out, one ALSA period at a time.

    >>> audio = AudioInterface(config.audio, process=engine.process)
    >>> audio.start(priority=70)      # raises AudioError if the device cannot do what is configured
    >>> audio.state, audio.xruns
    ('running', 0)
    >>> audio.stop()

Capture and playback go through pyalsaaudio. ``process(x, out)`` is called on
the audio thread with one period of the guitar channel (mono float32) and
fills ``out``; the result is copied to every playback channel. This module
knows nothing of models: the daemon hands it ``Engine.process``.

pyalsaaudio applies what the device accepts and silently keeps the rest
(ALSA's jack plugin, for one, only does FLOAT_LE), so after opening we read
back what ALSA really set (``pcm.info()``) and adapt -- the sample format, the
period, the channel count -- or refuse with one line when we cannot (another
rate than configured: the models are rate-specific).

Real-time rules (Ross Bencina's "Real-time audio programming 101"), kept in
``_stream``: the audio thread reads, converts through preallocated numpy
arrays and views, calls ``process`` and writes. It never logs, locks, loads or
waits on the control side; it only counts (xruns, periods) for the control
side to read and report (``report``). The one exception is a device that has
gone away: then there is no audio to protect, and the thread waits, retries
every second and logs.
"""

from __future__ import annotations

import ctypes
import errno
import logging
import os
import resource
import threading
import time
from dataclasses import dataclass
from typing import Callable

import numpy as np

try:
    # The Debian package carries pyalsaaudio 0.11 itself: bookworm's python3-alsaaudio
    # (0.8) has neither PCM(rate=, periods=) nor info(). Elsewhere it comes from pip.
    from pedal._vendor import alsaaudio
except ImportError:
    import alsaaudio

log = logging.getLogger(__name__)

__all__ = ["AudioError", "AudioInterface", "Applied", "Decoder", "Encoder", "FORMATS", "SampleFormat",
           "lock_memory", "negotiate", "sound_cards"]

PERIOD_RANGE = (32, 1024)
RETRY_SECONDS = 1.0
XRUN_LOG_INTERVAL_S = 10.0


class AudioError(RuntimeError):
    """The device works but cannot run as configured; the message is one line that says why."""


# --- Sample formats ---------------------------------------------------------------

@dataclass(frozen=True)
class SampleFormat:
    """How one ALSA sample format stores a sample, and what 1.0 is in it."""
    name: str           # ALSA's name, as pcm.info()["format_name"] says it
    alsa: int           # alsaaudio.PCM_FORMAT_*
    dtype: str          # numpy type of one stored value ("u1": one byte of a packed 24-bit sample)
    full_scale: float   # stored value of 1.0 (0: floating point, no scaling)
    width: int          # bytes per sample

    @property
    def is_float(self) -> bool:
        return self.full_scale == 0.0


FORMATS = {f.name: f for f in (
    SampleFormat("S32_LE", alsaaudio.PCM_FORMAT_S32_LE, "<i4", 2.0 ** 31, 4),
    SampleFormat("S24_3LE", alsaaudio.PCM_FORMAT_S24_3LE, "u1", 2.0 ** 23, 3),
    SampleFormat("S24_LE", alsaaudio.PCM_FORMAT_S24_LE, "<i4", 2.0 ** 23, 4),  # low 3 bytes of 4
    SampleFormat("FLOAT_LE", alsaaudio.PCM_FORMAT_FLOAT_LE, "<f4", 0.0, 4),
    SampleFormat("FLOAT64_LE", alsaaudio.PCM_FORMAT_FLOAT64_LE, "<f8", 0.0, 8),
    SampleFormat("S16_LE", alsaaudio.PCM_FORMAT_S16_LE, "<i2", 2.0 ** 15, 2),
)}
# Asked for in this order when the device does not take the first: most resolution first.
PREFERENCE = ("S32_LE", "S24_3LE", "S24_LE", "FLOAT_LE", "S16_LE", "FLOAT64_LE")


class Decoder:
    """Takes the guitar channel out of a captured period, as float32 in [-1, 1).

        >>> decoder = Decoder(FORMATS["S16_LE"], channels=2, channel=0, frames=128)
        >>> n = decoder.decode(data, out)     # data: bytes from pcm.read(); out: float32[128]

    Works through numpy views of ``data`` and arrays allocated here, once.
    """

    def __init__(self, sample_format: SampleFormat, channels: int, channel: int, frames: int) -> None:
        if not 0 <= channel < channels:
            raise ValueError(f"channel {channel} is not one of {channels}")
        self.format, self.channels, self.channel, self.frames = sample_format, channels, channel, frames
        self.frame_bytes = sample_format.width * channels
        self._int = np.zeros(frames, np.int32)
        self._byte = np.zeros(frames, np.int32)

    def decode(self, data, out: np.ndarray) -> int:
        """Fills ``out[:n]`` with the n frames in ``data``; returns n."""
        fmt, n = self.format, min(len(data) // self.frame_bytes, self.frames)
        if n < len(out):
            out = out[:n]
        raw = np.frombuffer(data, dtype=fmt.dtype, count=n * self.frame_bytes // np.dtype(fmt.dtype).itemsize)
        if fmt.name == "S24_3LE":
            packed = raw.reshape(n, self.channels, 3)
            value, byte = self._int[:n], self._byte[:n]
            np.copyto(value, packed[:, self.channel, 2].view(np.int8))  # the top byte carries the sign
            np.left_shift(value, 16, out=value)
            np.copyto(byte, packed[:, self.channel, 1])
            np.left_shift(byte, 8, out=byte)
            np.bitwise_or(value, byte, out=value)
            np.copyto(byte, packed[:, self.channel, 0])
            np.bitwise_or(value, byte, out=value)
            column = value
        else:
            column = raw[self.channel::self.channels]
            if fmt.name == "S24_LE":  # sign-extend the low 24 bits
                value = self._int[:n]
                np.left_shift(column, 8, out=value)
                np.right_shift(value, 8, out=value)
                column = value
        np.copyto(out, column, casting="unsafe")
        if not fmt.is_float:
            np.multiply(out, np.float32(1.0 / fmt.full_scale), out=out)
        return n


class Encoder:
    """Turns a mono float32 period into a playback period, the same sample on every channel.

        >>> encoder = Encoder(FORMATS["S32_LE"], channels=2, frames=128)
        >>> pcm.write(encoder.encode(out))

    Values beyond full scale are clipped; integers are rounded to nearest. The
    returned array is the encoder's own buffer (valid until the next call).
    """

    def __init__(self, sample_format: SampleFormat, channels: int, frames: int) -> None:
        self.format, self.channels, self.frames = sample_format, channels, frames
        per_frame = channels * (3 if sample_format.name == "S24_3LE" else 1)
        self._raw = np.zeros(frames * per_frame, np.dtype(sample_format.dtype))
        self._scaled = np.zeros(frames, np.float32)
        self._int = np.zeros(frames, np.int32)
        self._byte = np.zeros(frames, np.int32)
        if not sample_format.is_float:
            self._low = np.float32(-sample_format.full_scale)
            # The largest float32 not above full scale - 1 (2**31 - 1 is not a float32).
            high = np.float32(sample_format.full_scale - 1)
            if float(high) > sample_format.full_scale - 1:
                high = np.nextafter(np.float32(sample_format.full_scale), np.float32(0))
            self._high = high

    def silence(self, frames: int) -> np.ndarray:
        """A buffer of ``frames`` frames of silence in this format (allocated: not for the audio thread)."""
        return np.zeros(frames * self._raw.size // self.frames, self._raw.dtype)

    def encode(self, mono: np.ndarray) -> np.ndarray:
        fmt, n = self.format, len(mono)
        raw = self._raw if n == self.frames else self._raw[:n * self._raw.size // self.frames]
        if fmt.is_float:
            np.copyto(raw.reshape(n, self.channels), mono[:, None], casting="same_kind")
            return raw
        scaled = self._scaled[:n]
        np.multiply(mono, np.float32(fmt.full_scale), out=scaled)
        np.clip(scaled, self._low, self._high, out=scaled)
        np.rint(scaled, out=scaled)
        if fmt.name != "S24_3LE":
            np.copyto(raw.reshape(n, self.channels), scaled[:, None], casting="unsafe")
            return raw
        value, byte = self._int[:n], self._byte[:n]
        np.copyto(value, scaled, casting="unsafe")
        packed = raw.reshape(n, self.channels, 3)
        for k in range(3):  # little-endian bytes; int32 -> uint8 keeps the low byte
            np.right_shift(value, 8 * k, out=byte)
            np.copyto(packed[:, :, k], byte[:, None], casting="unsafe")
        return raw


# --- Opening a device and reading back what it applied ------------------------------

@dataclass(frozen=True)
class Applied:
    """What ALSA really set on one PCM."""
    device: str
    format: SampleFormat
    rate: int
    channels: int
    period: int
    periods: int


def _read_back(pcm, device: str) -> tuple[str, Applied | None]:
    info = pcm.info()
    name = str(info.get("format_name", "?"))
    fmt = FORMATS.get(name)
    applied = None if fmt is None else Applied(device, fmt, int(info["rate"]), int(info["channels"]),
                                                int(info["period_size"]), int(info.get("periods") or 0))
    return name, applied


def negotiate(direction: str, device: str, rate: int, channels: int, period: int, periods: int,
              pcm_factory=None, formats: tuple[str, ...] = PREFERENCE):
    """Opens ``device`` for ``direction`` ("capture" or "playback") and returns
    ``(pcm, applied)``. Asks for the first of ``formats``; if ALSA picked one we
    cannot convert while the device offers one we can, reopens with that.

    Raises AudioError (one line) for settings we cannot adapt to, and lets
    alsaaudio.ALSAAudioError through for a device that is absent or busy.
    """
    factory = pcm_factory or alsaaudio.PCM
    kind = alsaaudio.PCM_CAPTURE if direction == "capture" else alsaaudio.PCM_PLAYBACK

    def open_with(name: str):
        return factory(type=kind, mode=alsaaudio.PCM_NORMAL, device=device, rate=rate, channels=channels,
                       format=FORMATS[name].alsa, periodsize=period, periods=periods)

    pcm = open_with(formats[0])
    got, applied = _read_back(pcm, device)
    if applied is None:
        try:
            offered = set(pcm.getformats())
        except Exception:  # older pyalsaaudio, or a plugin that cannot say
            offered = set()
        usable = [name for name in formats if name in offered]
        pcm.close()
        if not usable:
            raise AudioError(f"{direction} device {device!r} uses sample format {got}, which pedal cannot "
                             f"convert (it converts {', '.join(formats)})")
        pcm = open_with(usable[0])
        got, applied = _read_back(pcm, device)
        if applied is None:
            pcm.close()
            raise AudioError(f"{direction} device {device!r} uses sample format {got} although it offers "
                             f"{usable[0]}; pedal cannot convert {got}")
    try:
        _check(direction, device, applied, rate, channels, period, periods)
    except AudioError:
        pcm.close()
        raise
    return pcm, applied


def _check(direction: str, device: str, applied: Applied, rate: int, channels: int, period: int,
           periods: int) -> None:
    what = f"{direction} device {device!r}"
    if applied.rate != rate:
        raise AudioError(f"{what} runs at {applied.rate} Hz, not the configured {rate} Hz "
                         f"(set [audio] rate = {applied.rate}, or pick another device)")
    low, high = PERIOD_RANGE
    if not low <= applied.period <= high:
        raise AudioError(f"{what} gave a period of {applied.period} frames, outside {low}..{high} "
                         f"(asked for {period})")
    if applied.channels < 1:
        raise AudioError(f"{what} has no channels")
    if applied.format.name != PREFERENCE[0]:
        log.info("%s: sample format %s (converted)", what, applied.format.name)
    if applied.period != period:
        log.warning("%s: asked for a period of %d frames, the device gave %d: using %d",
                    what, period, applied.period, applied.period)
    if periods and applied.periods and applied.periods != periods:
        log.warning("%s: asked for %d periods, the device gave %d", what, periods, applied.periods)
    if applied.channels != channels:
        log.warning("%s: asked for %d channels, the device gave %d: using %d",
                    what, channels, applied.channels, applied.channels)


def sound_cards() -> list[str]:
    """The ALSA cards present (their ids), [] when there are none."""
    try:
        return list(alsaaudio.cards())
    except alsaaudio.ALSAAudioError:
        return []


# --- Real-time setup -------------------------------------------------------------------

_MCL_CURRENT, _MCL_FUTURE = 1, 2
_CAP_IPC_LOCK = 14


def _has_capability(bit: int) -> bool:
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("CapEff:"):
                    return bool(int(line.split()[1], 16) >> bit & 1)
    except OSError:
        pass
    return False


def lock_memory() -> bool:
    """Locks the process's memory (mlockall MCL_CURRENT|MCL_FUTURE) so the audio
    path never waits for a page. Logs once and returns False when refused, or
    when a finite RLIMIT_MEMLOCK would make later allocations fail."""
    soft, _ = resource.getrlimit(resource.RLIMIT_MEMLOCK)
    if soft != resource.RLIM_INFINITY and not _has_capability(_CAP_IPC_LOCK):
        log.warning("not locking memory: RLIMIT_MEMLOCK is %d bytes (systemd: LimitMEMLOCK=infinity); "
                    "running on, page faults may cause xruns", soft)
        return False
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.mlockall(_MCL_CURRENT | _MCL_FUTURE) != 0:
        error = ctypes.get_errno()
        log.warning("mlockall refused (%s); running on, page faults may cause xruns", os.strerror(error))
        return False
    log.info("memory locked (mlockall)")
    return True


def make_realtime(priority: int, what: str = "audio thread") -> bool:
    """Puts the calling thread in SCHED_FIFO at ``priority``; logs once and returns False if refused.
    Threads it starts afterwards inherit the policy (Linux's default for pthread_create)."""
    try:
        os.sched_setscheduler(threading.get_native_id(), os.SCHED_FIFO, os.sched_param(priority))
    except (OSError, AttributeError) as error:
        log.warning("%s: SCHED_FIFO priority %d refused (%s); running at normal priority",
                    what, priority, getattr(error, "strerror", None) or error)
        return False
    log.info("%s: SCHED_FIFO priority %d", what, priority)
    return True


# --- The audio interface -----------------------------------------------------------------

class AudioInterface:
    """Capture and playback on the configured ALSA devices, driven by one audio thread.

    ``settings`` is a pedal.config.Audio. ``process(x, out)`` fills ``out`` from
    ``x`` (both float32, one period). ``pcm_factory`` replaces alsaaudio.PCM in tests.

    Counters for the control side (plain ints, written only by the audio thread):
    ``periods``, ``frames``, ``xruns``, ``reopens``; ``state`` is "stopped",
    "waiting" (for the device) or "running".
    """

    def __init__(self, settings, process: Callable[[np.ndarray, np.ndarray], object], *,
                 prime_periods: int = 2, pcm_factory=None) -> None:
        self.settings = settings
        self._process = process
        self._factory = pcm_factory
        self._prime_periods = max(1, min(prime_periods, settings.periods))
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None
        self._capture = self._playback = None
        self.capture: Applied | None = None
        self.playback: Applied | None = None
        self.state = "stopped"
        self.problem = ""                # why we are waiting, for status and logs
        self.periods = self.frames = self.xruns = self.reopens = 0
        self.attempts = 0                # reopen attempts while waiting (the thread is alive)
        self.busy_s = 0.0                # audio thread time spent converting and processing
        self.realtime = False
        self._reported_xruns = 0
        self._last_xrun_log = 0.0

    # -- control side ---------------------------------------------------------------

    @property
    def period(self) -> int:
        return self.capture.period if self.capture else self.settings.period

    @property
    def latency_frames(self) -> int:
        """Frames between a sample's capture and its playback that our buffering adds:
        the silence primed into playback (the converters' and the engine's come on top)."""
        return self._prime_periods * self.period

    def start(self, priority: int | None = None) -> None:
        """Opens the devices and starts the audio thread. Raises AudioError when
        a device cannot run as configured; a device that is absent is waited for."""
        try:
            self._open()
        except alsaaudio.ALSAAudioError as error:
            self.state, self.problem = "waiting", str(error)
            # At boot the USB interface may appear after pedald starts (After=sound.target
            # orders us after the cards the kernel already knows): wait for it, visibly.
            log.warning("audio: waiting for the sound card (%s); retrying every second until it is there", error)
        self._stopping.clear()
        self._thread = threading.Thread(target=self._run, args=(priority,), name="pedal-audio", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 2.0) -> None:
        self._stopping.set()
        if self._thread is not None:
            self._thread.join(timeout)
            if self._thread.is_alive():
                log.warning("audio thread did not stop within %.1f s", timeout)
            self._thread = None
        self._close()
        self.state = "stopped"

    def healthy(self) -> bool:
        """True while the audio thread runs (periods flow) or keeps retrying a vanished device."""
        return self._thread is not None and self._thread.is_alive() and self.state in ("running", "waiting")

    def report(self) -> None:
        """Logs new xruns, at most one line per XRUN_LOG_INTERVAL_S. Call from the control side."""
        new = self.xruns - self._reported_xruns
        now = time.monotonic()
        if new > 0 and now - self._last_xrun_log >= XRUN_LOG_INTERVAL_S:
            log.warning("audio: %d xrun%s since the last report (%d in all); recovered",
                        new, "" if new == 1 else "s", self.xruns)
            self._reported_xruns, self._last_xrun_log = self.xruns, now

    # -- opening and closing (control side at start, audio thread on re-open) --------------

    def _open(self) -> None:
        s = self.settings
        capture, capture_applied = negotiate("capture", s.capture_device, s.rate, s.capture_channels,
                                             s.period, s.periods, self._factory)
        try:
            if s.input_channel >= capture_applied.channels:
                raise AudioError(f"capture device {s.capture_device!r} has {capture_applied.channels} "
                                 f"channel(s); [audio] input_channel {s.input_channel} is not one of them")
            playback, playback_applied = negotiate("playback", s.playback_device, s.rate, s.playback_channels,
                                                   capture_applied.period, s.periods, self._factory)
        except BaseException:
            capture.close()
            raise
        frames = capture_applied.period
        self._decoder = Decoder(capture_applied.format, capture_applied.channels, s.input_channel, frames)
        self._encoder = Encoder(playback_applied.format, playback_applied.channels, frames)
        self._input = np.zeros(frames, np.float32)
        self._output = np.zeros(frames, np.float32)
        self._silence = self._encoder.silence(self._prime_periods * frames)
        self._capture, self._playback = capture, playback
        self.capture, self.playback = capture_applied, playback_applied

    def _close(self) -> None:
        playback, capture = self._playback, self._capture
        self._playback = self._capture = None
        for pcm, is_playback in ((playback, True), (capture, False)):
            if pcm is None:
                continue
            try:
                if is_playback:
                    pcm.drop()  # do not wait for the buffer to play out (close would drain)
                pcm.close()
            except Exception:
                pass

    # -- the audio thread ------------------------------------------------------------------

    def _run(self, priority: int | None) -> None:
        # Set up before any audio flows: logging here is allowed.
        if priority is not None:
            self.realtime = make_realtime(priority)
        while not self._stopping.is_set():
            if self._capture is None:
                self._wait_for_device()
                continue
            try:
                self.state, self.problem = "running", ""
                self._stream()
            except alsaaudio.ALSAAudioError as error:
                # The device went away (unplugged, suspended, I/O error): no audio to protect now.
                self._close()
                self.state, self.problem = "waiting", str(error)
                log.warning("audio: device lost (%s); retrying every second", error)
            except Exception as error:  # a bug; keep the pedal alive and visible
                self._close()
                self.state, self.problem = "waiting", f"{type(error).__name__}: {error}"
                log.exception("audio: unexpected error; reopening the devices")

    def _wait_for_device(self) -> None:
        if self._stopping.wait(RETRY_SECONDS):
            return
        self.attempts += 1
        try:
            self._open()
        except (alsaaudio.ALSAAudioError, AudioError) as error:
            if str(error) != self.problem:
                log.warning("audio: still waiting: %s", error)
                self.problem = str(error)
            return
        self.reopens += 1
        log.info("audio: devices back (capture %s, playback %s)", self.capture.device, self.playback.device)

    def _prime(self) -> None:
        # Silence ahead of the first output, so playback does not underrun
        # while the first capture period fills.
        self._playback.write(self._silence)

    def _stream(self) -> None:
        """The real-time loop: read, convert, process, convert, write. No logging,
        locks, allocations of our own (pyalsaaudio makes one bytes object per read,
        numpy a few view objects), file or socket I/O on this path."""
        capture, playback = self._capture, self._playback
        decoder, encoder = self._decoder, self._encoder
        x, y, process, frames = self._input, self._output, self._process, self._decoder.frames
        clock, stopping = time.perf_counter, self._stopping
        self._prime()
        while not stopping.is_set():
            n, data = capture.read()
            if n <= 0:
                if n == -errno.EPIPE:  # overrun; pyalsaaudio has prepared the capture again
                    self.xruns += 1
                    playback.drop()     # restart playback from the primed latency
                    self._prime()
                continue
            start = clock()
            if n == frames:
                decoder.decode(data, x)
                process(x, y)
                raw = encoder.encode(y)
            else:  # a short read (after a signal): process what came
                n = decoder.decode(data, x)
                process(x[:n], y[:n])
                raw = encoder.encode(y[:n])
            self.busy_s += clock() - start
            if playback.write(raw) < 0:  # underrun (-EPIPE); pyalsaaudio has prepared playback again
                self.xruns += 1
                self._prime()
            self.periods += 1
            self.frames += n
            # Let go of this block's objects before waiting for the next, so
            # that the loop holds the same few objects at every wait (the
            # memory reading of the soak's 0-byte check counts them).
            data = raw = None
