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
``_stream``: the audio thread reads, converts (pedal.sample_formats: through
preallocated numpy arrays and views), calls ``process`` and writes. It never logs, locks, loads or
waits on the control side; it only counts (xruns, periods) for the control
side to read and report (``report``). The one exception is a device that has
gone away: then there is no audio to protect, and the thread waits, retries
every second and logs.

The latency is the primed periods, and stays so: what capture holds plus what
playback holds is checked each period (``avail``). After an xrun the thread
puts it back at once (silence ahead of the output where the device ran dry,
input left unplayed where it holds too much: still run through the chain, so
that its state is the whole input's), and a drift no xrun reported
(JACK skipping one of ALSA's jack clients for a cycle) once it has held for
DRIFTED_S. Re-priming blindly after an underrun added what capture held meanwhile
to the latency, for as long as the pedal played.
"""

from __future__ import annotations

import ctypes
import errno
import logging
import os
import resource
import select
import threading
import time
from dataclasses import dataclass
from typing import Callable

import numpy as np

from pedal.alsa import alsaaudio
from pedal.sample_formats import FORMATS, PREFERENCE, Decoder, Encoder, SampleFormat
from pedal.xruns import (CAPTURE, DRIFTED_S, LATENCY, PLAYBACK, STREAM, DriftWatch, XrunAccount, XrunLog,
                          moment_of, steal_ticks)

log = logging.getLogger(__name__)

__all__ = ["AudioError", "AudioInterface", "Applied", "lock_memory", "make_realtime", "negotiate", "sound_cards"]

PERIOD_RANGE = (32, 1024)
RETRY_SECONDS = 1.0
# A device that delivers nothing for this long is lost (closed and reopened, as after an error):
# far beyond any scheduling stall, short enough to come back within a second of its return.
SILENT_DEVICE_S = 0.5
XRUN_LOG_INTERVAL_S = 10.0
STALLED_S = 0.05
class AudioError(RuntimeError):
    """The device works but cannot run as configured; the message is one line that says why."""


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
        self.xrun_notes = XrunLog(settings.rate, settings.period, self._prime_periods)
        self.xrun_account = XrunAccount()
        self.gc_pauses = None   # a pedal.gc_pauses.GcPauses, when the process times its collections
        self._changed_at: int | None = None
        self._steal = steal_ticks()
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
        """Frames between a sample's capture and its playback that our buffering adds: the primed
        periods, which the audio thread keeps the device holding (the engine's latency comes on top)."""
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
        self.report()   # the last moments' xruns, accounted

    def healthy(self) -> bool:
        """True while the audio thread runs (periods flow) or keeps retrying a vanished device."""
        return self._thread is not None and self._thread.is_alive() and self.state in ("running", "waiting")

    def changed(self) -> None:
        """The sound changed (a model or rig swapped in): xruns near it count as the change's."""
        self._changed_at = self.frames

    def report(self) -> None:
        """Accounts the new xruns by cause and moment (``xrun_account``) and logs them, at most one
        line per XRUN_LOG_INTERVAL_S. Call from the control side, every housekeeping tick."""
        rate = self.settings.rate
        steal, self._steal = self._steal, steal_ticks()
        collected = self.gc_pauses.held_during if self.gc_pauses is not None else None
        for xrun in self.xrun_notes.take(stolen=self._steal > steal, collected=collected):
            since_change = None if self._changed_at is None else abs(xrun.at_s - self._changed_at / rate)
            self.xrun_account.add(xrun, moment_of(xrun.at_s, since_change))
        new = self.xruns - self._reported_xruns
        now = time.monotonic()
        if new > 0 and now - self._last_xrun_log >= XRUN_LOG_INTERVAL_S:
            log.warning("audio: %d xrun%s since the last report (%d in all: %s); recovered",
                        new, "" if new == 1 else "s", self.xruns, self.xrun_account.describe())
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
        self._silence_per_frame = self._silence.size // (self._prime_periods * frames)
        self._buffer = playback_applied.period * playback_applied.periods
        self._capture, self._playback = capture, playback
        self.capture, self.playback = capture_applied, playback_applied
        self.xrun_notes.retime(frames)

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

    def _held(self) -> int:
        """Frames between the device's input and its output now: captured and not yet read, plus
        written and not yet played. Read capture first: a device period that falls between the
        two reads then shows as a period too few, never as one too many."""
        captured, free = self._capture.avail(), self._playback.avail()
        # Negative: an errno (an xrun, a stopped stream), which holds nothing.
        return max(captured, 0) + (self._buffer - free if 0 <= free <= self._buffer else 0)

    def _realign(self, pending: int) -> int:
        """Puts the latency back to the primed periods: what the device holds, plus the ``pending``
        frames about to be written. Too little (playback ran dry, or started a device period before
        capture): silence goes ahead of them. Too much (capture went on while playback stood still,
        or a backlog after an underrun): returns how many whole periods of input to leave unplayed."""
        return self._correct(self._held() + pending - self.latency_frames)

    def _correct(self, off: int) -> int:
        if off < 0:
            silence = self._silence[:-off * self._silence_per_frame]
            if self._playback.write(silence) < 0:  # playback had run dry too: pyalsaaudio prepared it
                self._playback.write(silence)
            return 0
        return off // self.period

    def _stream(self) -> None:
        """The real-time loop: read, convert, process, convert, write. No logging,
        locks, allocations of our own (pyalsaaudio makes one bytes object per read,
        numpy a few view objects), file or socket I/O on this path."""
        capture, playback = self._capture, self._playback
        decoder, encoder = self._decoder, self._encoder
        x, y, process, frames = self._input, self._output, self._process, self._decoder.frames
        clock, stopping, notes = time.perf_counter, self._stopping, self.xrun_notes
        # Wait for capture through poll() with a timeout rather than in a blocking read: a device
        # that stops without an error (jackd killed, a stalled USB interface) would otherwise
        # hold the thread in read() for ever. ALSA's revents says whether the device has news.
        poller = select.poll()
        for fd, mask in capture.polldescriptors():
            poller.register(fd, mask)
        silent_ms, revents = int(SILENT_DEVICE_S * 1000), capture.polldescriptors_revents
        # A stall ALSA did not see: longer than the buffer, and than the few milliseconds a busy
        # machine can hold every thread (JACK's dummy clock included, which then loses nothing).
        stalled_s = max(notes.slack_s + notes.period_s, STALLED_S)
        # What the device holds, checked each period: a drift the device did not report is put back.
        held, target = self._held, self.latency_frames
        drift = DriftWatch(max(2, round(DRIFTED_S / notes.period_s)), frames)
        notes.start_thread()
        self._prime()
        done = clock()   # when the previous period was written
        busy = 0.0       # how long it took
        flowing = False  # a period went through (the wait for the first one includes the stream's start)
        started = False  # the first read starts the capture stream (until then there is nothing to poll for)
        aligned = False  # the latency was put where it is primed to be since capture (re)started
        skip = 0         # periods of input to leave unplayed: the device holds that much too much
        while not stopping.is_set():
            if started:
                events = poller.poll(silent_ms)
                if not events:
                    raise alsaaudio.ALSAAudioError(f"no audio from {self.capture.device!r} for {SILENT_DEVICE_S:g} s")
                if not revents(events):  # woken with no period there yet (an error reads as one: read() says which)
                    continue
            n, data = capture.read()
            started = n > 0
            if n <= 0:
                if n == -errno.EPIPE:  # overrun; pyalsaaudio has prepared the capture again
                    notes.note(CAPTURE, self.frames, clock() - done, busy)
                    self.xruns += 1
                    playback.drop()     # both sides restart together, from the primed latency
                    aligned = False
                    done = clock()
                continue
            if not aligned:  # capture (re)started: playback may have run a device period ahead or behind
                skip, aligned = self._realign(n), True
            start = clock()
            if n == frames:
                decoder.decode(data, x)
                process(x, y)
                raw = encoder.encode(y)
            else:  # a short read (after a signal): process what came
                n = decoder.decode(data, x)
                process(x[:n], y[:n])
                raw = encoder.encode(y[:n])
            end = clock()
            self.busy_s += end - start
            self.periods += 1
            self.frames += n
            if skip:
                # Input left unplayed still goes through the chain, so that the models' state and the
                # rate bridge hear every sample, as an offline render of the same input does.
                skip -= 1
                done = clock()
                data = raw = None
                continue
            written = playback.write(raw)
            finished = clock()
            if written < 0:  # underrun (-EPIPE); pyalsaaudio has prepared playback again
                notes.note(PLAYBACK, self.frames - n, start - done, end - start)
                self.xruns += 1
                # Capture kept what came meanwhile: with it, this period and the silence ahead the
                # latency is the primed one again (priming afresh would add the backlog to it).
                skip = self._realign(n)
                if skip:
                    skip -= 1    # this period is the first left unplayed
                else:
                    playback.write(raw)
            elif finished - done > stalled_s and flowing:
                # Longer than the buffer holds, and ALSA saw nothing: the device's clock stopped with
                # us (JACK's clients live in this process; SIGSTOP). What it played meanwhile was lost.
                # Timed from the last write to this one: the stop may fall in the wait or in the
                # processing (then the wait before looked ordinary); it counts as a wait either way.
                notes.note(STREAM, self.frames - n, finished - done, 0.0)
                self.xruns += 1
            elif (off := drift.off(held() - target)) is not None:
                notes.note(LATENCY, self.frames - n, start - done, end - start)
                self.xruns += 1
                skip = self._correct(off)
            done, busy, flowing = finished, end - start, True
            # Let go of this block's objects before waiting for the next, so
            # that the loop holds the same few objects at every wait (the
            # memory reading of the soak's 0-byte check counts them).
            data = raw = None
