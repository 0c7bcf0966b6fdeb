"""pedald: the pedal daemon. Wires the audio interface, the engine, the
footswitch, the models library, the control socket and the state file.

    pedald [--config /etc/pedal/pedal.toml] [--models DIR] [--demo] [--seconds N]
    python -m pedal.daemon ...

Two sides, as in docs/architecture.md. The audio thread (pedal.audio) reads a
period, calls Engine.process and writes; nothing else. Everything that may
block -- loading a model, measuring its loudness, writing the state file,
logging, answering the socket, freeing old models -- happens here, on the
control side: the main thread (pedal.housekeeping, every TICK_S; systemd's
READY and WATCHDOG), the control socket's threads (pedal.commands checks each
request, then calls one of Pedal's actions) and the footswitch's timers,
serialised by one lock. A model change builds a fresh Model from the library's
bytes, computes its levels and hands it to the engine (lock-free; the engine
warms it up and crossfades).

PEDAL_GPIO_MOCK=1 puts the footswitch on gpiozero's MockFactory and adds the
mock footswitch's command, {"cmd": "press", "pin": 17, "seconds": 0.05}, that
presses a mock switch through the control socket: a pedald on a machine
without GPIO (the demo, the end-to-end tests) is driven as one with it.
"""

from __future__ import annotations

import os

# numpy's OpenBLAS would start a thread per core, each with a large buffer that
# mlockall then makes resident; the daemon does no linear algebra. Set before
# numpy is first imported (pedal.levels, pedal.audio).
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import argparse
import dataclasses
import gc
import logging
import signal
import sys
import threading
import time
from pathlib import Path

from pedal import cabinets, commands, housekeeping, levels, submodels
from pedal.audio import AudioError, AudioInterface, lock_memory, make_realtime
from pedal.config import DEFAULT_PATH, ConfigError, load_config
from pedal.control import ControlError, ControlServer
from pedal.core import Engine, ModelError
from pedal.store import ModelStore, StoreError, clean_leftovers, stored_metadata
from pedal.footswitch import LedState, PedalControls
from pedal.library import ModelLibrary
from pedal.state import load_state, save_state, settings_set
from pedal.validate import ValidationError, validate

log = logging.getLogger("pedald")

MAX_BLOCK = 1024          # the largest period pedal.audio accepts
# The GIL is handed between threads at this interval (CPython's default is 5 ms,
# longer than a 128-frame period): the audio thread waits at most this long for
# it when a control thread runs Python code.
SWITCH_INTERVAL_S = 0.0005
# ... but only while the thread holding the GIL runs. At normal priority, any
# busy process on the machine preempts it (for milliseconds, CFS's slice) while
# it holds the GIL, and the SCHED_FIFO audio thread waits that long: priority
# inversion, and an xrun. So every other thread of pedald (main, control socket,
# footswitch) runs SCHED_FIFO too, at the lowest priority: below the audio
# thread and JACK, above everything ordinary. They run for microseconds at a time.
CONTROL_PRIORITY = 1
THREAD_STACK_BYTES = 1 << 20  # 1 MiB (Linux's default is 8 MiB)


class Pedal:
    """The whole pedal, from a Config.

        >>> pedal = Pedal(load_config())
        >>> pedal.start()          # audio runs; footswitch and socket answer
        >>> pedal.run(seconds=30)  # housekeeping until stop() or a signal
        >>> pedal.stop()
    """

    def __init__(self, config, models_dir: str | None = None, pin_factory=None, demo: bool = False,
                 pcm_factory=None) -> None:
        self.config = config
        self.demo = demo
        self.pin_factory = pin_factory
        self.library = ModelLibrary(models_dir or config.library.models_dir)
        self.state_path = Path(config.library.state_file)
        self.state = load_state(self.state_path)
        self.engine = Engine(config.audio.rate, MAX_BLOCK)
        self.engine.set_crossfade_ms(config.sound.crossfade_ms)
        self.audio = AudioInterface(config.audio, self.engine.process, pcm_factory=pcm_factory)
        self.controls: PedalControls | None = None
        self.server: ControlServer | None = None
        self.current: int | None = None
        # (model file bytes, submodel playing or None) -> (input, output) gain dB
        self._levels: dict[tuple[bytes, int | None], tuple[float, float]] = {}
        # Sizes chosen in this run that the sidecar could not keep (or None: measuring failed), by file bytes.
        self._sizes: dict[bytes, float | None] = {}
        self._lock = threading.RLock()
        self._stop = threading.Event()
        self._state_error = ""
        self.cpu = housekeeping.CpuMeter(config.audio.period / config.audio.rate)
        self.ready = False
        self.started_at = time.monotonic()

    # --- start and stop -----------------------------------------------------------

    def start(self) -> None:
        self._load_library()
        with self._lock:
            self._apply_levels()
            self._apply_sound()
            self.engine.set_bypass(self.state.bypass)
            wanted = self.library.index(self.state.model)
            if self.state.model is not None and wanted is None:
                log.warning("model %r from the state file is gone; playing the first", self.state.model)
            self._play(wanted if wanted is not None else 0)
        self._start_controls()
        self._start_server()
        # Start-up made most of the objects this process will ever have: collect
        # once and freeze them, so later collections (which hold the GIL the audio
        # thread needs) are short. Done before audio starts, never while it runs.
        gc.collect()
        gc.freeze()
        self.audio.start(self.config.realtime.priority)
        self.started_at = time.monotonic()

    def _start_controls(self) -> None:
        self.controls = PedalControls(self.config.footswitch, on_next=self.next, on_previous=self.previous,
                                      on_bypass=self.toggle_bypass, pin_factory=self.pin_factory)
        self._show()

    def _start_server(self) -> None:
        mock_pins = self.pin_factory is not None and _is_mock(self.pin_factory)  # never on real pins
        server = ControlServer(self.config.control.socket, commands.handlers(self, press=mock_pins),
                               group=self.config.control.group)
        try:
            server.start()  # ControlError when another pedald listens there: that one has the pedal
        except OSError as error:
            log.warning("control socket %s unavailable (%s); running without it", self.config.control.socket, error)
            return
        self.server = server
        log.info("control socket %s", server.path)

    def stop(self) -> None:
        self._stop.set()

    def close(self) -> None:
        if self.controls is not None:
            self.controls.close()
        if self.server is not None:
            self.server.close()
        self.audio.stop()
        self.engine.collect_garbage()

    # --- the library ------------------------------------------------------------------

    def _load_library(self) -> None:
        """Scans and validates every model and measures its levels (control side)."""
        if self.library.directory.is_dir():
            # Not while an upload writes (its temporary file is no leftover): pedal.store's lock.
            removed = clean_leftovers(self.library.directory) if os.access(self.library.directory, os.W_OK) else 0
            if removed:
                log.info("models: removed %d leftover temporary file(s)", removed)
        entries = self.library.scan()
        for index, entry in enumerate(entries):
            if entry.submodels and not entry.default:
                entries[index] = self.library.with_size(index, self._size_of(entry))
        known = {}
        for entry in self.library.entries:
            key = (entry.data, entry.playing)
            known[key] = self._levels.get(key) or self._measure(entry)
        self._levels = known
        log.info("models: %d playable in %s%s", len(entries), self.library.directory,
                 " (the bundled default)" if entries and entries[0].default else "")

    def _size_of(self, entry) -> float | None:
        """The size a model with submodels plays at: chosen in this run when its sidecar could not keep
        it, else kept in its sidecar, else measured now (pedal.validate: the largest submodel that
        fits max_cpu_percent on this device) and kept in the sidecar for the next start."""
        if entry.data in self._sizes:
            return self._sizes[entry.data]
        stored = submodels.stored_size(stored_metadata(entry.path, entry.data), entry.submodels)
        if stored is not None:
            return stored
        rate, period = self.config.audio.rate, self.config.audio.period
        limit = self.config.library.max_cpu_percent
        log.info("models: %s has %d submodels and no size chosen; measuring each on this device",
                 entry.name, len(entry.submodels))
        try:
            report = validate(entry.data, rate, period, limit, force=True)
        except ValidationError as error:
            log.warning("models: %s: %s; playing it at the default size", entry.name, error)
            self._sizes[entry.data] = None   # not measured again at every reload
            return None
        costs = ", ".join(f"{s['max_value']:g}: {s['cpu_percent']:.1f} %" for s in report.submodels)
        if report.forced:
            log.warning("models: %s: none of its submodels fits %g %% of the period (%s); playing the cheapest",
                        entry.name, limit, costs)
        log.info("models: %s plays at size %g (CPU by size: %s)", entry.name, report.size, costs)
        if not self._record(entry, {"size": report.size, "submodels": report.submodels, "rate": rate,
                                    "period": period, "forced": report.forced}):
            self._sizes[entry.data] = report.size
        return report.size

    def _record(self, entry, changes: dict) -> bool:
        """Keeps ``changes`` in the entry's sidecar (pedal.store); False, logged, when it cannot."""
        try:
            self._models_store().update_metadata(entry.path, entry.data, changes)
            return True
        except (StoreError, OSError) as error:
            log.warning("models: cannot record %s for %s (%s); kept until pedald stops",
                        ", ".join(changes), entry.name, getattr(error, "strerror", None) or error)
            return False

    def _models_store(self) -> ModelStore:
        return ModelStore(self.library.directory, max_bytes=int(self.config.library.max_model_mb * 2**20))

    def _measure(self, entry) -> tuple[float, float]:
        model = entry.load()
        if int(model.sample_rate) != self.config.audio.rate:
            log.info("models: %s was made at %g Hz and plays at %d Hz", entry.name, model.sample_rate,
                     self.config.audio.rate)
        # Loudness measured by validation at upload (pedal.validate) for exactly these bytes: no need to again.
        # A model with submodels has one per submodel (each its own metadata): the playing one's.
        meta = {} if entry.default else stored_metadata(entry.path, entry.data)
        loudness = submodels.stored_loudness(meta, entry.submodels, entry.playing)
        return levels.gains_db(model, self.config.sound.interface_dbu, loudness)

    def _gains(self, entry) -> tuple[float, float]:
        """(input, output) gain dB for the entry as it plays now (its submodel's own loudness)."""
        key = (entry.data, entry.playing)
        if key not in self._levels:
            self._levels[key] = self._measure(entry)
        return self._levels[key]

    # --- actions (control side: socket threads, footswitch timers) -------------------------

    def _play(self, index: int) -> None:
        entry = self.library.entries[index]
        self._show(LedState.BUSY)
        try:
            model = entry.load()  # a fresh Model: the engine owns the one it is given
        except ModelError as error:
            self._show()
            raise ControlError(f"{entry.name}: {error}") from None
        input_db, output_db = self._gains(entry)
        self.engine.set_model(model, input_db, output_db)
        self.current = index
        log.info("playing %s%s (input %+.1f dB, output %+.1f dB)", entry.name,
                 f" at size {entry.size if entry.size is not None else 1.0:g}" if entry.submodels else "",
                 input_db, output_db)
        self._remember(model=None if entry.default else entry.name)
        self._show()

    def select(self, index: int) -> dict:
        with self._lock:
            if not self.library.entries:
                raise ControlError("no models")
            if not 0 <= index < len(self.library.entries):
                raise ControlError(f"index {index} is not one of 0..{len(self.library.entries) - 1}")
            if index != self.current:
                self._play(index)
            return self._now()

    def next(self) -> dict:
        with self._lock:
            return self.select(((self.current or 0) + 1) % max(1, len(self.library.entries)))

    def previous(self) -> dict:
        with self._lock:
            return self.select(((self.current or 0) - 1) % max(1, len(self.library.entries)))

    def set_bypass(self, on: bool) -> dict:
        with self._lock:
            self.engine.set_bypass(on)
            log.info("bypass %s", "on" if on else "off")
            self._remember(bypass=on)
            self._show()
            return self._now()

    def toggle_bypass(self) -> dict:
        with self._lock:
            return self.set_bypass(not self.state.bypass)

    def set_levels(self, **values: float) -> dict:
        """input_gain_db, output_level_db (checked by pedal.commands)."""
        with self._lock:
            self._remember(**{k: float(v) for k, v in values.items()})
            self._apply_levels()
            return self._now()

    def reload(self) -> dict:
        with self._lock:
            playing = self.library.entries[self.current] if self.current is not None else None
            self._load_library()
            same = next((i for i, e in enumerate(self.library.entries)
                         if playing is not None and e.name == playing.name and e.data == playing.data
                         and e.playing == playing.playing), None)
            renewed = None if playing is None else self.library.index(playing.name)
            if same is not None:
                self.current = same  # the same bytes: it plays on, untouched
            else:
                self.current = None
                self._play(renewed if renewed is not None else 0)  # replaced: the new one; removed: the first
            return dict(self._now(), models=len(self.library.entries))

    def _apply_levels(self) -> None:
        self.engine.set_input_gain(self.state.input_gain_db)
        self.engine.set_output_level(self.state.output_level_db)

    # --- tone, gate and cabinet (pedalctl eq, gate, ir) -----------------------------------------

    def _apply_sound(self) -> None:
        """Puts the saved EQ, gate and cabinet into the engine (at start)."""
        sound = self.state.sound
        eq = settings_set(sound.eq)
        try:
            self.engine.set_eq(**{k: v for k, v in eq.items() if k != "on"})
            if sound.eq.on is not None:
                self.engine.set_block("eq", sound.eq.on)
            self.engine.set_gate(threshold_db=sound.gate.threshold_db, on=sound.gate.on)
        except (TypeError, ValueError) as error:  # out of the engine's range: an edited file
            log.warning("saved EQ/gate settings unusable (%s); using the defaults", error)
        if sound.ir:
            try:
                self._load_ir(sound.ir)
            except ControlError as error:
                log.warning("cabinet IR from the state file: %s; playing without", error)

    def set_eq(self, values: dict, on: bool | None = None) -> dict:
        """Bass, mid, treble (dB; checked by pedal.commands) and on/off, applied and kept."""
        with self._lock:
            if on is not None:
                self.engine.set_block("eq", on)
            self.engine.set_eq(**values)
            return self._keep_sound("eq", values, on)

    def set_gate(self, values: dict, on: bool | None = None) -> dict:
        """The gate's threshold (dBFS; checked by pedal.commands) and on/off, applied and kept."""
        with self._lock:
            self.engine.set_gate(threshold_db=values.get("threshold_db"), on=on)
            return self._keep_sound("gate", values, on)

    def _keep_sound(self, key: str, values: dict, on: bool | None) -> dict:
        changes = dict(values, **({} if on is None else {"on": on}))
        settings = dataclasses.replace(getattr(self.state.sound, key), **changes)
        self._remember(sound=dataclasses.replace(self.state.sound, **{key: settings}))
        return {key: settings_set(settings)}

    def _irs(self):
        return cabinets.store(self.config.library.irs_dir, int(self.config.library.max_model_mb * 2**20))

    def _load_ir(self, name: str) -> str:
        try:
            path, samples, rate = cabinets.load(self._irs(), name)
            self.engine.set_ir(samples[:, 0], rate)
        except (cabinets.CabinetError, ValueError) as error:
            raise ControlError(str(error)) from None
        log.info("cabinet: %s (%d frames at %d Hz)", path.name, len(samples), rate)
        return path.stem

    def irs(self) -> dict:
        """The cabinet IRs stored, and the one playing."""
        with self._lock:
            return {"irs": sorted(self._irs().files()), "ir": self.state.sound.ir}

    def select_ir(self, name: str | None) -> dict:
        """Plays through the cabinet IR called ``name`` (None: none), and keeps the choice."""
        with self._lock:
            if name is None:
                self.engine.clear_ir()
            else:
                name = self._load_ir(name)
            self._remember(sound=dataclasses.replace(self.state.sound, ir=name))
            return {"ir": name}

    def _remember(self, **changes) -> None:
        """Updates the state and writes it (atomically) when it changed."""
        new = dataclasses.replace(self.state, **changes)
        if new == self.state:
            return
        self.state = new
        try:
            self.state_path.parent.mkdir(parents=True, exist_ok=True)
            save_state(self.state_path, new)
            self._state_error = ""
        except OSError as error:
            if str(error) != self._state_error:  # once per distinct failure
                log.warning("cannot save the state to %s (%s); running on", self.state_path, error)
                self._state_error = str(error)

    def _show(self, led: LedState | None = None) -> None:
        if self.controls is None:
            return
        if led is None:
            if self.audio.state == "waiting":
                led = LedState.BUSY
            else:
                led = LedState.BYPASSED if self.state.bypass else LedState.ACTIVE
        self.controls.show(led)

    def _now(self) -> dict:
        entry = self.library.entries[self.current] if self.current is not None else None
        return {"model": entry.name if entry else None, "index": self.current, "bypass": self.state.bypass}

    # --- sizes of models with submodels (pedalctl size, info) ---------------------------------

    def model_named(self, name: str) -> int:
        """The index of the model called ``name`` (case-insensitive when no exact match)."""
        with self._lock:
            index = self.library.index(name)
            if index is None:
                folded = name.casefold()
                index = next((i for i, e in enumerate(self.library.entries) if e.name.casefold() == folded), None)
            if index is None:
                raise ControlError(f"no model called {name!r}")
            return index

    def _details(self, entry) -> dict:
        """What `info` says of a model: the core's facts, validation's figures, its size and submodels."""
        meta = {} if entry.default else (stored_metadata(entry.path, entry.data) or {})
        return entry.details(meta)

    def set_size(self, index: int, size: float, force: bool = False) -> dict:
        """Plays the model at ``index`` at ``size`` from now on, and keeps that in its sidecar. When it
        plays now and the size picks another submodel, a Model built at the new size is handed to the
        engine exactly as a model change is (warm-up, crossfade; nothing new on the audio thread)."""
        with self._lock:
            entry = self.library.entries[index]
            if not entry.submodels:
                raise ControlError(f"{entry.name} has no submodels: it plays at one size only")
            meta = {} if entry.default else (stored_metadata(entry.path, entry.data) or {})
            try:
                submodels.check_fits(meta.get("submodels"), size, self.config.library.max_cpu_percent, force,
                                     meta.get("rate"), meta.get("period"))
            except submodels.SizeError as error:
                raise ControlError(f"{entry.name}: {error}") from None
            before = entry
            entry = self.library.with_size(index, size)
            if index == self.current and entry.playing != before.playing:
                try:
                    self._play(index)
                except ControlError:
                    self.library.with_size(index, before.size)
                    raise
            log.info("%s: size %g, submodel %d of %d", entry.name, size, entry.playing + 1, len(entry.submodels))
            saved = entry.default or self._record(entry, {"size": size, "forced": bool(force)})
            if saved:
                self._sizes.pop(entry.data, None)
            else:
                self._sizes[entry.data] = size
            return dict(self._now(), name=entry.name, size=size, playing=entry.playing,
                        submodels=entry.submodels, saved=saved)

    def size_info(self, index: int) -> dict:
        """What plays now, with the details of the model at ``index`` (`size` without a size)."""
        with self._lock:
            return dict(self._now(), **self._details(self.library.entries[index]))

    def info(self, index: int) -> dict:
        """What `info` says of the model at ``index``."""
        with self._lock:
            return dict(self._details(self.library.entries[index]), index=index, current=index == self.current)

    # --- control commands -------------------------------------------------------------------

    def status(self) -> dict:
        with self._lock:
            return self._status()

    def _status(self) -> dict:
        audio, rate = self.audio, self.config.audio.rate
        cpu_avg, cpu_max = self.cpu.percent(self.cpu.total)
        stats = self._last_stats
        return dict(self._now(), models=len(self.library.entries),
                    default=bool(self.library.entries and self.library.entries[0].default),
                    input_gain_db=self.state.input_gain_db, output_level_db=self.state.output_level_db,
                    audio=audio.state, problem=audio.problem, rate=rate, period=audio.period,
                    latency_ms=round(self.latency_ms(), 3), xruns=audio.xruns, frames=audio.frames,
                    cpu={"avg_percent": round(cpu_avg, 2), "max_percent": round(cpu_max, 2),
                         "recent_avg_percent": round(self._recent_cpu[0], 2),
                         "recent_max_percent": round(self._recent_cpu[1], 2)},
                    engine={"model_id": stats.get("model_id"), "switching": stats.get("switching"),
                            "bypassed": stats.get("bypassed"), "muted_blocks": stats.get("muted_blocks"),
                            "bad_input_blocks": stats.get("bad_input_blocks")},
                    realtime=audio.realtime, uptime_s=round(time.monotonic() - self.started_at, 1),
                    memory=self._memory, peaks=housekeeping.peaks_db(stats), models_dir=str(self.library.directory),
                    irs_dir=self.config.library.irs_dir, **self._size_status(),
                    ir=self.state.sound.ir, eq=settings_set(self.state.sound.eq),
                    gate=settings_set(self.state.sound.gate))

    def _size_status(self) -> dict:
        """status's "size" and "submodel": what the model playing plays (None without submodels)."""
        entry = self.library.entries[self.current] if self.current is not None else None
        if entry is None or not entry.submodels:
            return {"size": None, "submodel": None}
        playing = entry.submodels[entry.playing]
        return {"size": 1.0 if entry.size is None else entry.size,
                "submodel": dict(playing, index=entry.playing, count=len(entry.submodels))}

    _last_stats: dict = {}
    _recent_cpu = (0.0, 0.0)
    _memory = housekeeping.UNREAD_MEMORY  # until the first status tick reads it

    def latency_ms(self) -> float:
        return (self.audio.latency_frames + self.engine.latency) / self.config.audio.rate * 1000.0

    def models(self) -> dict:
        """`list`: the models in footswitch order, the one playing, and the files skipped (why)."""
        with self._lock:
            return {"models": [e.describe() for e in self.library.entries], "current": self._now()["model"],
                    "skipped": dict(self.library.skipped)}

    # --- housekeeping (main thread) -------------------------------------------------------

    def run(self, seconds: float | None = None) -> None:
        """Housekeeping (pedal.housekeeping) until stop() (or SIGTERM/SIGINT via main), or ``seconds`` after start."""
        housekeeping.run(self, seconds)

    def summary(self) -> str:
        cpu_avg, cpu_max = self.cpu.percent(self.cpu.total)
        return (f"{self.audio.frames / self.config.audio.rate:.1f} s, latency {self.latency_ms():.1f} ms, "
                f"cpu avg {cpu_avg:.0f}% max {cpu_max:.0f}%, xruns {self.audio.xruns}")


def _is_mock(factory) -> bool:
    from gpiozero.pins.mock import MockFactory
    return isinstance(factory, MockFactory)


def _pin_factory():
    if os.environ.get("PEDAL_GPIO_MOCK") != "1":
        return None
    from gpiozero.pins.mock import MockFactory
    log.info("footswitch: mock GPIO (PEDAL_GPIO_MOCK=1)")
    return MockFactory()


def parse_args(argv):
    parser = argparse.ArgumentParser(prog="pedald", description="The pedal daemon.")
    parser.add_argument("--config", default=str(DEFAULT_PATH), help="configuration file (default: %(default)s)")
    parser.add_argument("--models", help="models directory (default: [library] models_dir)")
    parser.add_argument("--demo", action="store_true", help="print a status line every 5 s and a summary at the end")
    parser.add_argument("--seconds", type=float, help="stop after this many seconds")
    return parser.parse_args(argv)


def main(argv=None) -> int:
    args = parse_args(sys.argv[1:] if argv is None else argv)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s", stream=sys.stderr)
    try:
        config = load_config(args.config)
    except ConfigError as error:
        print(f"pedald: {error}", file=sys.stderr)
        return 2
    sys.setswitchinterval(SWITCH_INTERVAL_S)
    # Before any other thread starts, so that all of them inherit it (the audio thread raises its own).
    if config.realtime.priority > CONTROL_PRIORITY:
        make_realtime(CONTROL_PRIORITY, "control threads")
    # mlockall makes every thread's whole stack resident: our threads need little.
    threading.stack_size(THREAD_STACK_BYTES)
    if config.realtime.lock_memory:
        lock_memory()
    pedal = Pedal(config, models_dir=args.models, pin_factory=_pin_factory(), demo=args.demo)
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: pedal.stop())
    try:
        pedal.start()
    except (AudioError, ControlError) as error:
        print(f"pedald: {error}", file=sys.stderr)
        pedal.close()
        return 1
    try:
        pedal.run(args.seconds)
    finally:
        pedal.close()
    summary = pedal.summary()
    log.info("stopped after %s", summary)
    if args.demo:
        print(f"demo: {summary}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
