"""The pedal daemon's Pedal: wires the audio interface, the engine, the
footswitch, the models library, the control socket and the state file.

pedald the process (its command line and real-time set-up) is pedal.pedald.

Two sides, as in docs/architecture.md. The audio thread (pedal.audio) reads a
period, calls Engine.process and writes; nothing else. Everything that may
block -- loading a model, measuring its loudness, writing the state file,
logging, answering the socket, freeing old models -- happens here, on the
control side: the main thread (pedal.housekeeping, every TICK_S; systemd's
READY and WATCHDOG), the control socket's threads (pedal.commands checks each
request, then calls one of Pedal's actions) and the footswitch's timers,
serialised by one lock. A change of sound builds fresh Models from the library's
bytes, computes their levels and hands them to the engine as one chain
(lock-free; the engine warms it up and crossfades).

What the footswitch steps through: the rigs ([library] rigs_dir, in `pedalctl rig
order`), then every model of the library as a rig of one, playing with the levels,
EQ, gate and cabinet the pedal keeps for bare models (as before rigs). A rig
brings its own; changes made while it plays are kept in the state file as its
live changes until `pedalctl rig save` writes them into it.

The tuner (pedal.live_tuner) opens from a footswitch hold, `pedalctl tune` or the
socket's `tuner`: the engine listens and mutes, a thread of the tuner's own reads
the pitch 20 times a second for the LED and the socket's watchers, and any
footswitch press closes it.

PEDAL_GPIO_MOCK=1 puts the footswitch on gpiozero's MockFactory and adds the
mock footswitch's command, {"cmd": "press", "pin": 17, "seconds": 0.05}, that
presses a mock switch through the control socket: a pedald on a machine
without GPIO (the demo, the end-to-end tests) is driven as one with it.
"""

from __future__ import annotations

import dataclasses
import gc
import logging
import threading
import time
from pathlib import Path

from pedal import cabinets, commands, housekeeping, levels, rigs, submodels, transaction
from pedal.actions import Action
from pedal.audio import AudioInterface
from pedal.control import ControlError, ControlServer
from pedal.core import Engine, Model, ModelError
from pedal.store import ModelStore, StoreError, stored_metadata
from pedal.footswitch import LedState, PedalControls
from pedal.gc_pauses import GcPauses
from pedal.library import ModelLibrary
from pedal.live_tuner import LiveTuner
from pedal.midi.service import MidiService, start_midi
from pedal.rig_library import RigEntry, RigLibrary
from pedal.state import load_state, save_state, settings_set
from pedal.rigs import Rig, RigError
from pedal.validate import ValidationError, validate

log = logging.getLogger("pedald")

# The protocol's level settings (pedalctl level) by the rig file's keys.
_LEVEL_KEYS = {"input_gain_db": "input_level_db", "output_level_db": "output_level_db"}

MAX_BLOCK = 1024          # the largest period pedal.audio accepts


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
        self.rigs = RigLibrary(config.library.rigs_dir)
        self.tuner = LiveTuner(self.engine, config.tuner, show=self._show_tuning)
        self.controls: PedalControls | None = None
        self.server: ControlServer | None = None
        self.midi: MidiService | None = None
        self.position: int | None = None   # what plays: a rig's index, or len(rigs) + a model's
        # (model file bytes, submodel playing or None) -> (input, output) gain dB
        self._levels: dict[tuple[bytes, int | None], tuple[float, float]] = {}
        # A rig's chain, ((bytes, submodel, drive dB) per capture) -> (input gains, output gains) dB
        self._chain_levels: dict[tuple, tuple[list[float], list[float]]] = {}
        self._chain_playing: tuple | None = None   # what the engine's chain is: captures and gains
        self._ir_playing: str | None = None        # the cabinet in the engine
        self._live_cache: tuple = (None, None)      # (rig and changes, the rig with them)
        # Sizes chosen in this run that the sidecar could not keep (or None: measuring failed), by file bytes.
        self._sizes: dict[bytes, float | None] = {}
        self._lock = threading.RLock()
        self._claim_lock = threading.Lock()
        self._claiming: threading.Event | None = None   # set by the next footswitch press (web page claim)
        self._stop = threading.Event()
        self._state_error = ""
        self.cpu = housekeeping.CpuMeter(config.audio.period / config.audio.rate)
        self.ready = False
        self.started_at = time.monotonic()

    # --- start and stop -----------------------------------------------------------

    def start(self) -> None:
        self._load_library()
        with self._lock:
            self.engine.set_bypass(self.state.bypass)
            self._play_saved()
        self._start_controls()
        self._start_server()
        self._start_midi()
        # Start-up made most of the objects this process will ever have: collect
        # once and freeze them, so later collections (which hold the GIL the audio
        # thread needs) are short. Done before audio starts, never while it runs.
        gc.collect()
        gc.freeze()
        self.audio.gc_pauses = GcPauses().install()   # each later collection timed, for status and xruns
        self.audio.start(self.config.realtime.priority)
        self.started_at = time.monotonic()

    def _start_controls(self) -> None:
        self.controls = PedalControls(self.config.footswitch, perform=self.perform, pin_factory=self.pin_factory)
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

    def _start_midi(self) -> None:
        if self.config.midi.enabled:
            self.midi = start_midi(self.config.midi, self, self.state.midi_cc, remember=self._remember_midi)

    def _remember_midi(self, learned: dict[str, int]) -> None:
        with self._lock:
            self._remember(midi_cc=learned)

    def stop(self) -> None:
        self._stop.set()

    def close(self) -> None:
        if self.midi is not None:
            self.midi.close()
        self.tuner.close()
        if self.controls is not None:
            self.controls.close()
        if self.server is not None:
            self.server.close()
        self.audio.stop()
        if self.audio.gc_pauses is not None:
            self.audio.gc_pauses.remove()
        self.engine.collect_garbage()

    # --- the library ------------------------------------------------------------------

    def _load_library(self) -> None:
        """Scans and validates every model and measures its levels (control side)."""
        # A rig import a kill interrupted after it was committed completes first (pedal.transaction),
        # before anything counts its temporary files as leftovers.
        # Under the stores' locks (so not while an upload or import writes): imports a kill interrupted
        # after they committed are completed, then what kills left half-written is removed.
        completed, removed = transaction.recover(self.rigs.directory, [self.library.directory,
                                                                       Path(self.config.library.irs_dir),
                                                                       self.rigs.directory])
        if completed or removed:
            log.info("library: completed %d interrupted rig import(s), removed %d leftover temporary file(s)",
                     completed, removed)
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
        irs = self._irs()
        self.rigs.scan(has_model=lambda name: self.library.lookup(name) is not None,
                       has_ir=lambda name: self._find_ir(irs, name))
        for entry in list(self.rigs.entries):
            try:
                self._chain(entry.rig, entry.path.name, load=False)
            except ControlError as error:
                self.rigs.entries.remove(entry)
                self.rigs.skipped[entry.path.name] = str(error)
                log.warning("rigs: skipping %s", error)
        if self.rigs.entries or self.rigs.skipped:
            log.info("rigs: %d playable in %s", len(self.rigs.entries), self.rigs.directory)

    @staticmethod
    def _find_ir(irs: ModelStore, name: str) -> bool:
        try:
            return irs.find(name) is not None
        except StoreError:
            return False

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

    # --- what plays: rigs, then the models as rigs of one (control side: socket threads,
    # footswitch timers) ------------------------------------------------------------------------

    @property
    def current(self) -> int | None:
        """The library index of the model playing bare (None while a rig plays)."""
        if self.position is None or self.position < len(self.rigs):
            return None
        return self.position - len(self.rigs)

    def _rig_playing(self) -> RigEntry | None:
        if self.position is None or self.position >= len(self.rigs):
            return None
        return self.rigs.entries[self.position]

    def _live(self) -> Rig:
        """What plays now as a rig: the rig with its live changes, or the bare model as a rig of
        one with the pedal's own levels and sound."""
        entry = self._rig_playing()
        if entry is not None:
            changes = self.state.rig_changes
            if not changes:
                return entry.rig
            # Kept: status asks for it many times a second, and every thread's Python work holds the
            # GIL the audio thread needs.
            key = (entry.rig, tuple(sorted(changes.items())))
            if self._live_cache[0] != key:
                self._live_cache = (key, rigs.with_values(entry.rig, changes, entry.path.name))
            return self._live_cache[1]
        model = self.library.entries[self.current].name if self.current is not None else "none"
        return rigs.rig_of_one(model, self.state)

    def _play_saved(self) -> None:
        """At start: the rig or model the state file names, with its live changes; else the first."""
        state = self.state
        if state.rig is not None:
            index = self.rigs.index(state.rig)
            if index is None:
                log.warning("rig %r from the state file is gone or unplayable; playing %s", state.rig,
                            "its model" if self.library.index(state.model) is not None else "the first")
            else:
                try:
                    self._play_rig(index, state.rig_changes)
                    return
                except (ControlError, RigError) as error:
                    log.warning("rig %r from the state file: %s; playing it as stored", state.rig, error)
                    try:
                        self._play_rig(index, {})
                        return
                    except ControlError as second:
                        log.warning("rig %r: %s; playing the first", state.rig, second)
        wanted = self.library.index(state.model)
        if state.model is not None and wanted is None:
            log.warning("model %r from the state file is gone; playing the first", state.model)
        if wanted is not None or state.rig is not None or not self.rigs.entries:
            self._play(wanted if wanted is not None else 0)
        else:
            self._play_position(0)

    def _play_position(self, position: int) -> None:
        if position < len(self.rigs):
            self._play_rig(position, {})
        else:
            self._play(position - len(self.rigs))

    def _play(self, index: int) -> None:
        """Plays the library's model at ``index`` bare: at its levels, with the pedal's own sound."""
        entry = self.library.entries[index]
        self._show(LedState.BUSY)
        input_db, output_db = self._gains(entry)
        key = (((entry.data, entry.playing),), (input_db,), (output_db,))
        live = rigs.rig_of_one(entry.name, self.state)
        try:
            knobs = _knob_values(entry, live.captures[0].knobs, "the pedal's settings", "knobs")
            if key != self._chain_playing:
                model = entry.load()  # a fresh Model: the engine owns the one it is given
                for index_of_knob, value in knobs:
                    model.set_knob(entry.info["knobs"][index_of_knob]["name"], value)
                self._put_sound(live, strict=False, staged=True)   # arrives with the model
                self.engine.set_model(model, input_db, output_db)
                self._swapped(key)
            else:
                self._put_sound(live, strict=False)
        except (ModelError, ControlError) as error:
            self._show()
            raise ControlError(f"{entry.name}: {error}") from None
        self._put_knobs(live, "the pedal's settings")
        self.position = len(self.rigs) + index
        log.info("playing %s%s (input %+.1f dB, output %+.1f dB)", entry.name,
                 f" at size {entry.size if entry.size is not None else 1.0:g}" if entry.submodels else "",
                 input_db, output_db)
        self._remember(model=None if entry.default else entry.name, rig=None, rig_changes={})
        self._show()

    def _play_rig(self, index: int, changes: dict) -> None:
        """Plays the rig at ``index`` with ``changes`` (its live changes) over its file."""
        entry = self.rigs.entries[index]
        rig = rigs.with_values(entry.rig, changes, entry.path.name) if changes else entry.rig
        self._show(LedState.BUSY)
        try:
            self._put_chain(rig, entry.path.name, strict=False)
        except ControlError:
            self._show()
            raise
        self.position = index
        log.info("playing rig %s: %s%s", entry.name, " -> ".join(c.model for c in rig.captures),
                 f" -> {rig.sound.ir}" if rig.sound.ir else "")
        self._remember(model=None, rig=entry.name, rig_changes=dict(changes))
        self._show()

    def _chain(self, rig: Rig, source: str, load=True) -> tuple[tuple, list[Model]]:
        """(key, models) of ``rig``'s captures: the key (each capture's bytes and submodel, the
        gains of pedal.levels.chain_gains_db, measured once per chain and kept) and, when ``load``
        (a bool, or a test of the key), fresh Models for the engine, their knobs where the rig has them."""
        captures, knobs = [], []
        for n, capture in enumerate(rig.captures, 1):
            index = self.library.lookup(capture.model)
            if index is None:
                raise ControlError(f"{source}: capture[{n}].model: no playable model called {capture.model!r}")
            entry = self.library.entries[index]
            if capture.size is not None and entry.submodels:
                entry = dataclasses.replace(entry, size=capture.size)
            captures.append((n, entry, capture.input_gain_db))
            knobs.append(_knob_values(entry, capture.knobs, source, f"capture[{n}].knobs"))

        def fresh_models() -> list[Model]:
            models = []
            for n, entry, _ in captures:
                try:
                    models.append(entry.load())
                except ModelError as error:
                    raise ControlError(f"{source}: capture[{n}]: {entry.name}: {error}") from None
            return models
        chain = tuple((entry.data, entry.playing, drive) for _, entry, drive in captures)
        gains = self._chain_levels.get(chain)
        models = []
        if gains is None:
            models = fresh_models()
            _, first, drive = captures[0]
            alone = None
            if len(captures) == 1 and drive == 0.0:  # a rig of one: the capture's own loudness, as bare
                meta = {} if first.default else stored_metadata(first.path, first.data)
                alone = submodels.stored_loudness(meta, first.submodels, first.playing)
            # Measured with the knobs at their defaults, as pedalctl render does: a knob turned up plays louder.
            gains = levels.chain_gains_db(models, [d for _, _, d in captures], self.config.sound.interface_dbu, alone)
            self._chain_levels[chain] = gains
        key = (tuple((data, playing) for data, playing, _ in chain), tuple(gains[0]), tuple(gains[1]))
        if not (load(key) if callable(load) else load):
            return key, []
        models = models or fresh_models()   # those just measured, else new ones
        for model, (_, entry, _), values in zip(models, captures, knobs):
            for index, value in values:   # where the rig has them, from the first sample
                model.set_knob(entry.info["knobs"][index]["name"], value)
        return key, models

    def _put_chain(self, rig: Rig, source: str, strict: bool) -> None:
        """Puts ``rig`` into the engine: its captures, unless they are the chain playing already,
        with its sound staged to arrive with them (Engine.stage); else its sound now. Its knobs
        go where the rig has them (gliding, when the chain plays on)."""
        key, models = self._chain(rig, source, load=lambda key: key != self._chain_playing)
        if models:
            self._put_sound(rig, strict, staged=True)
            self.engine.set_chain(models, list(key[1]), list(key[2]))
            self._swapped(key)
        else:
            self._put_sound(rig, strict)
        self._put_knobs(rig, source)

    def _swapped(self, key: tuple) -> None:
        """The engine was handed the chain ``key``: it plays, and xruns near now count as the change's."""
        self.audio.changed()
        self._chain_playing = key

    def _put_knobs(self, rig: Rig, source: str) -> None:
        for stage, capture in enumerate(rig.captures):
            entry = self.library.entries[self.library.lookup(capture.model)]
            for knob, value in _knob_values(entry, capture.knobs, source, f"capture[{stage + 1}].knobs"):
                self.engine.set_knob(stage, knob, value)

    def select(self, index: int) -> dict:
        """Plays the library's model at ``index`` bare."""
        with self._lock:
            if not self.library.entries:
                raise ControlError("no models")
            if not 0 <= index < len(self.library.entries):
                raise ControlError(f"index {index} is not one of 0..{len(self.library.entries) - 1}")
            if index != self.current:
                self._play(index)
            return self._now()

    def select_position(self, position: int) -> dict:
        """Plays what is at ``position`` of the footswitch's order (the rigs, then the models;
        MIDI program change N plays position N)."""
        with self._lock:
            count = len(self.rigs) + len(self.library.entries)
            if not 0 <= position < count:
                raise ControlError(f"there {'is' if count == 1 else 'are'} {count} rigs and models "
                                   f"(0..{count - 1}); nothing at {position}" if count else "no models")
            if position != self.position:
                self._play_position(position)
            return self._now()

    def select_rig(self, name: str) -> dict:
        """Plays the rig called ``name`` as its file has it (its live changes dropped)."""
        with self._lock:
            index = self.rigs.index(name)
            if index is None:
                known = ", ".join(e.name for e in self.rigs.entries) or "none"
                raise ControlError(f"no playable rig called {name!r} (rigs: {known})")
            self._play_rig(index, {})
            return self._now()

    def save_rig(self) -> dict:
        """Writes the rig playing with its live changes into its file (crash-safely, as pedalctl
        writes rigs); the live changes are then none."""
        with self._lock:
            entry = self._rig_playing()
            if entry is None:
                raise ControlError("no rig is playing (a bare model keeps its settings in the pedal's state)")
            saved, rig = sorted(self.state.rig_changes), self._live()
            text = rigs.format_rig(rig)
            try:
                path = rigs.store(self.rigs.directory).install(entry.name, text.encode(), ".toml", replace=True)
            except (StoreError, OSError) as error:
                raise ControlError(f"cannot save rig {entry.name}: {error}") from None
            self.rigs.entries[self.position] = RigEntry(entry.name, path, rig)
            self._remember(rig_changes={})
            log.info("rig %s saved%s", entry.name, f" with {', '.join(saved)}" if saved else " (unchanged)")
            return dict(self._now(), file=str(path), saved=saved)

    def knobs(self) -> dict:
        """The knobs of what plays: per capture, each knob's name, range, default and position."""
        with self._lock:
            live = self._live()
            listed = []
            for n, capture in enumerate(live.captures, 1):
                entry = self.library.entries[self.library.lookup(capture.model)]
                positions = {name.casefold(): value for name, value in capture.knobs.items()}
                listed += [dict(knob, capture=n, model=capture.model,
                                value=positions.get(knob["name"].casefold(), knob["default"]))
                           for knob in entry.info.get("knobs") or []]
            return dict(self._now(), knobs=listed)

    def set_knob(self, name: str, value: float, capture: int | None = None) -> dict:
        """Turns the knob called ``name`` of what plays (of capture ``capture``, 1 = first, when
        several have one of that name) to ``value``: live, gliding over 10 ms, and kept (a rig's
        live change, or the bare model's knob in the state file)."""
        with self._lock:
            live = self._live()
            having = []
            for n, cap in enumerate(live.captures, 1):
                entry = self.library.entries[self.library.lookup(cap.model)]
                for knob in entry.info.get("knobs") or []:
                    if knob["name"].casefold() == name.casefold() and capture in (None, n):
                        having.append((n, knob))
            if not having:
                raise ControlError(f"no knob called {name!r} in what plays" if capture is None
                                   else f"capture {capture} has no knob called {name!r}")
            if len(having) > 1:
                raise ControlError(f"captures {', '.join(str(n) for n, _ in having)} each have a knob called "
                                   f"{name!r}: say which (capture)")
            n, knob = having[0]
            if not knob["min"] <= value <= knob["max"]:
                raise ControlError(f"{knob['name']} must be a number in {knob['min']:g}..{knob['max']:g}, "
                                   f"got {value:g}")
            self._change({f"capture[{n}].knobs.{knob['name']}": float(value)})
            return dict(self._now(), knob=knob["name"], capture=n, value=float(value))

    def _step(self, by: int) -> dict:
        with self._lock:
            count = len(self.rigs) + len(self.library.entries)
            if not count:
                raise ControlError("no models")
            self._play_position(((self.position or 0) + by) % count)
            return self._now()

    def next(self) -> dict:
        return self._step(+1)

    def previous(self) -> dict:
        return self._step(-1)

    def perform(self, action: Action) -> bool:
        """A footswitch press's action (pedal.actions, as pedal.toml sets it; on a timer thread).
        One that cannot be done now is logged in one line and the pedal plays on. While the web
        page's claim waits (``claim``) a press answers it, and while the tuner is open a press
        closes it; either does nothing else: True (the press is used up)."""
        claiming = self._claiming
        if claiming is not None and not claiming.is_set():
            claiming.set()
            log.info("footswitch: press used to claim the web page")
            return True
        if self.tuner.tuning:
            self.set_tuner(False)
            return True
        try:
            if action.verb == "tuner":
                self.set_tuner(True)
            elif action.verb == "next":
                self.next()
            elif action.verb == "prev":
                self.previous()
            elif action.verb == "bypass":
                self.toggle_bypass()
            elif action.verb == "rig":
                self.select_rig(action.argument)
            elif action.verb == "size":
                self.step_size(+1 if action.argument == "up" else -1)
        except ControlError as error:
            log.warning("footswitch: %s%s: %s", action.verb, f" {action.argument}" if action.argument else "", error)
        return False

    def claim(self, seconds: float) -> dict:
        """Waits up to ``seconds`` for a footswitch press and uses it up (it does nothing else):
        the web page's proof that whoever sets its password stands at the pedal."""
        with self._claim_lock:
            if self._claiming is not None:
                raise ControlError("another claim is waiting for the footswitch")
            self._claiming = claimed = threading.Event()
        try:
            if not claimed.wait(seconds):
                raise ControlError(f"no footswitch press within {seconds:g} s")
        finally:
            self._claiming = None
        return {"claimed": True}

    def set_tuner(self, on: bool | None = None, a4: float | None = None) -> dict:
        """Opens (``on`` True) or closes the tuner, or toggles it (None). While open the output
        is muted, or passes dry ([tuner] output), and the LED shows the needle. ``a4``: the
        reference from now on (until pedald restarts; [tuner] a4 keeps one)."""
        with self._lock:
            self.tuner.turn(not self.tuner.tuning if on is None else on, a4)
            if not self.tuner.tuning:
                self._show()
            return dict(self._now(), tuner=self.tuner.state())

    def step_size(self, by: int) -> dict:
        """The next larger (``by`` = +1) or smaller submodel of what plays: a bare NAM A2 model (as
        `pedalctl size`: kept, and refused above max_cpu_percent), or each A2 capture of a rig
        (a live change of its capture[N].size)."""
        with self._lock:
            rig = self._rig_playing()
            if rig is None:
                index = self.current
                entry = self.library.entries[index]
                size = _stepped(entry, by)
                if size is None:
                    raise ControlError(f"{entry.name}: no {'larger' if by > 0 else 'smaller'} size"
                                       if entry.submodels else f"{entry.name} plays at one size only")
                return self.set_size(index, size)
            changes = {}
            for n, capture in enumerate(self._live().captures, 1):
                entry = self.library.entries[self.library.lookup(capture.model)]
                if capture.size is not None and entry.submodels:
                    entry = dataclasses.replace(entry, size=capture.size)
                size = _stepped(entry, by) if entry.submodels else None
                if size is not None:
                    changes[f"capture[{n}].size"] = size
            if not changes:
                raise ControlError(f"rig {rig.name}: no capture with a {'larger' if by > 0 else 'smaller'} size")
            self._change(changes)
            return dict(self._now(), sizes=changes)

    def set_size_share(self, share: float) -> str:
        """Plays the NAM A2 captures of what plays at the submodel ``share`` of the way from their
        smallest (0) to their largest (1): a MIDI CC's size. A line saying what each plays."""
        with self._lock:
            rig = self._rig_playing()
            if rig is None:
                if self.current is None:
                    raise ControlError("no models")
                entry = self.library.entries[self.current]
                if not entry.submodels:
                    raise ControlError(f"{entry.name} plays at one size only")
                size = _share_of_sizes(entry, share)
                self.set_size(self.current, size)
                return f"{entry.name} at size {size:g}"
            changes = {}
            for n, capture in enumerate(self._live().captures, 1):
                entry = self.library.entries[self.library.lookup(capture.model)]
                if entry.submodels:
                    changes[f"capture[{n}].size"] = _share_of_sizes(entry, share)
            if not changes:
                raise ControlError(f"rig {rig.name}: no capture with sizes")
            self._change(changes)
            return ", ".join(f"{key} {size:g}" for key, size in changes.items())

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

    def reload(self) -> dict:
        """Reads the models and rigs again; what plays plays on when neither it nor its captures
        changed (a rig whose file changed plays as the file now has it), else the first."""
        with self._lock:
            rig, model = self._rig_playing(), self.library.entries[self.current] if self.current is not None else None
            self._load_library()
            index = self.rigs.index(rig.name) if rig is not None else None
            if rig is not None and index is None:  # renamed (`pedalctl rig rename`): the same rig by another name
                index = next((i for i, e in enumerate(self.rigs.entries)
                              if dataclasses.replace(e.rig, name=rig.rig.name) == rig.rig), None)
                rig = self.rigs.entries[index] if index is not None else None
            if index is not None:
                same = self.rigs.entries[index].rig == rig.rig
                if not same:
                    log.info("rig %s changed on disk; playing it as it is now", rig.name)
                self._play_rig(index, self.state.rig_changes if same else {})
            elif model is not None and self.library.index(model.name) is not None:
                self._play(self.library.index(model.name))
            else:
                self._play_position(0)  # removed: the first
            return dict(self._now(), models=len(self.library.entries), rigs=len(self.rigs))

    # --- levels, tone, gate and cabinet: what plays, changed live ---------------------------

    def _change(self, changes: dict) -> Rig:
        """Changes what plays (``changes`` by the rig file's keys: input_level_db, eq.bass_db,
        gate.on, cabinet, and for a rig capture[N].size ...): a rig's live changes, or a bare
        model's sound (the pedal's own, as before rigs); into the engine and the state file.
        Returns the rig as it plays now."""
        entry = self._rig_playing()
        try:
            if entry is not None:
                merged = dict(self.state.rig_changes, **changes)
                rig = rigs.with_values(entry.rig, merged, entry.path.name)
            else:
                rig = rigs.with_values(self._live(), changes, "the pedal's settings")
        except RigError as error:
            raise ControlError(str(error)) from None
        self._put_chain(rig, entry.path.name if entry is not None else "the pedal's settings", strict=True)
        if entry is not None:
            self._remember(rig_changes=merged)
        else:
            model = rig.captures[0]
            knobs = {k: v for k, v in self.state.knobs.items() if k != model.model}
            self._remember(input_gain_db=rig.input_level_db, output_level_db=rig.output_level_db, sound=rig.sound,
                           knobs=dict(knobs, **({model.model: model.knobs} if model.knobs else {})))
        return rig

    def _put_sound(self, rig: Rig, strict: bool, staged: bool = False) -> None:
        """The rig's levels, EQ, gate (pedal.rigs.apply_sound) and cabinet into the engine, now or
        ``staged`` (with the next chain handed over); the cabinet read only when it changes. A
        cabinet that cannot be read: ControlError when ``strict`` (nothing changed), else played
        without, with a warning."""
        if rig.sound.ir != self._ir_playing:
            samples = None
            if rig.sound.ir is not None:
                try:
                    samples = self._read_ir(rig.sound.ir)
                except ControlError as error:
                    if strict:
                        raise
                    log.warning("cabinet IR: %s; playing without", error)
            if staged:
                self.engine.stage_ir(*(samples or (None,)))
            elif samples is None:
                self.engine.clear_ir()
            else:
                self.engine.set_ir(*samples)
            self._ir_playing = rig.sound.ir
        try:
            rigs.apply_sound(self.engine, rig, staged)
        except (TypeError, ValueError) as error:  # out of the engine's range: an edited state file
            log.warning("levels/EQ/gate settings unusable (%s); using the defaults", error)
            rigs.apply_sound(self.engine, rigs.Rig(rig.name, rig.captures), staged)

    def set_levels(self, **values: float) -> dict:
        """input_gain_db, output_level_db (checked by pedal.commands)."""
        with self._lock:
            self._change({_LEVEL_KEYS[k]: float(v) for k, v in values.items()})
            return self._now()

    def set_eq(self, values: dict, on: bool | None = None) -> dict:
        """Bass, mid, treble (dB; checked by pedal.commands) and on/off, applied and kept."""
        with self._lock:
            changes = {f"eq.{k}": v for k, v in values.items()} | ({} if on is None else {"eq.on": on})
            return {"eq": settings_set(self._change(changes).sound.eq)}

    def set_gate(self, values: dict, on: bool | None = None) -> dict:
        """The gate's threshold (dBFS; checked by pedal.commands) and on/off, applied and kept."""
        with self._lock:
            changes = {f"gate.{k}": v for k, v in values.items()} | ({} if on is None else {"gate.on": on})
            return {"gate": settings_set(self._change(changes).sound.gate)}

    def _irs(self):
        return cabinets.store(self.config.library.irs_dir, int(self.config.library.max_model_mb * 2**20))

    def _read_ir(self, name: str) -> tuple:
        """(mono samples, rate) of the cabinet IR called ``name``; ControlError saying why not."""
        try:
            path, samples, rate = cabinets.load(self._irs(), name)
        except cabinets.CabinetError as error:
            raise ControlError(str(error)) from None
        log.info("cabinet: %s (%d frames at %d Hz)", path.name, len(samples), rate)
        return samples[:, 0], rate

    def irs(self) -> dict:
        """The cabinet IRs stored, and the one playing."""
        with self._lock:
            return {"irs": sorted(self._irs().files()), "ir": self._live().sound.ir}

    def select_ir(self, name: str | None) -> dict:
        """Plays through the cabinet IR called ``name`` (None: none), and keeps the choice."""
        with self._lock:
            if name is not None:
                try:
                    path = self._irs().find(name)
                except StoreError as error:
                    raise ControlError(str(error)) from None
                name = path.stem if path is not None else name  # as stored; a missing one is refused below
            return {"ir": self._change({"cabinet": name or ""}).sound.ir}

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
            reason = error.strerror or str(error)   # not the temporary file's name, new each time
            if reason != self._state_error:  # once per distinct failure
                log.warning("cannot save the state to %s (%s); running on", self.state_path, reason)
                self._state_error = reason

    def _show_tuning(self, led: LedState) -> None:
        """The tuner's needle on the LED (on the tuner's thread)."""
        if self.controls is not None:
            self.controls.show(led)

    def _show(self, led: LedState | None = None) -> None:
        if self.controls is None or self.tuner.tuning:  # the tuner has the LED
            return
        if led is None:
            if self.audio.state == "waiting":
                led = LedState.BUSY
            else:
                led = LedState.BYPASSED if self.state.bypass else LedState.ACTIVE
        self.controls.show(led)

    def _now(self) -> dict:
        """What plays: a bare model (its name and library index) or a rig (its name), the
        footswitch position (rigs first, then the models), and bypass."""
        entry = self.library.entries[self.current] if self.current is not None else None
        rig = self._rig_playing()
        return {"model": entry.name if entry else None, "index": self.current,
                "rig": rig.name if rig else None, "captures": [c.model for c in self._live().captures],
                "position": self.position, "positions": len(self.rigs) + len(self.library.entries),
                "bypass": self.state.bypass}

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
        live = self._live()
        return dict(self._now(), models=len(self.library.entries), rigs=len(self.rigs),
                    default=bool(self.library.entries and self.library.entries[0].default),
                    input_gain_db=live.input_level_db, output_level_db=live.output_level_db,
                    audio=audio.state, problem=audio.problem, rate=rate, period=audio.period,
                    latency_ms=round(self.latency_ms(), 3), xruns=audio.xruns,
                    xrun_causes=audio.xrun_account.as_status(), frames=audio.frames,
                    cpu={"avg_percent": round(cpu_avg, 2), "max_percent": round(cpu_max, 2),
                         "recent_avg_percent": round(self._recent_cpu[0], 2),
                         "recent_max_percent": round(self._recent_cpu[1], 2)},
                    engine={"model_id": stats.get("model_id"), "switching": stats.get("switching"),
                            "bypassed": stats.get("bypassed"), "muted_blocks": stats.get("muted_blocks"),
                            "bad_input_blocks": stats.get("bad_input_blocks")},
                    realtime=audio.realtime, uptime_s=round(time.monotonic() - self.started_at, 1),
                    memory=self._memory, peaks=housekeeping.peaks_db(stats), models_dir=str(self.library.directory),
                    irs_dir=self.config.library.irs_dir, rigs_dir=str(self.rigs.directory), **self._size_status(),
                    tuner=self.tuner.state(), midi=self.midi.ports.names if self.midi else None,
                    ir=live.sound.ir, eq=settings_set(live.sound.eq), gate=settings_set(live.sound.gate),
                    rig_changes=dict(self.state.rig_changes),
                    gc=self.audio.gc_pauses.as_status() if self.audio.gc_pauses is not None else None)

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

    def rig_list(self) -> dict:
        """The rigs pedald plays, in footswitch order, the one playing, and the files skipped (why)."""
        with self._lock:
            rig = self._rig_playing()
            return {"rigs": [e.name for e in self.rigs.entries], "current": rig.name if rig else None,
                    "skipped": dict(self.rigs.skipped), "directory": str(self.rigs.directory)}

    # --- housekeeping (main thread) -------------------------------------------------------

    def run(self, seconds: float | None = None) -> None:
        """Housekeeping (pedal.housekeeping) until stop() (or SIGTERM/SIGINT via main), or ``seconds`` after start."""
        housekeeping.run(self, seconds)

    def summary(self) -> str:
        cpu_avg, cpu_max = self.cpu.percent(self.cpu.total)
        return (f"{self.audio.frames / self.config.audio.rate:.1f} s, latency {self.latency_ms():.1f} ms, "
                f"cpu avg {cpu_avg:.0f}% max {cpu_max:.0f}%, xruns {self.audio.xruns} "
                f"({self.audio.xrun_account.describe()})")


def _knob_values(entry, positions: dict[str, float], source: str, key: str) -> list[tuple[int, float]]:
    """(index, value) for every knob of ``entry``'s model (pedal.rigs.knob_positions), as ControlError."""
    try:
        return rigs.knob_positions(positions, entry.info.get("knobs") or [], entry.name, f"{source}: {key}")
    except RigError as error:
        raise ControlError(str(error)) from None


def _share_of_sizes(entry, share: float) -> float:
    """The size ``share`` of the way through ``entry``'s submodels, smallest to largest."""
    values = sorted(submodel["max_value"] for submodel in entry.submodels)
    return values[round(share * (len(values) - 1))]


def _stepped(entry, by: int) -> float | None:
    """The size of the submodel ``by`` steps from the one ``entry`` plays (None past either end)."""
    values = sorted(submodel["max_value"] for submodel in entry.submodels)
    playing = values.index(entry.submodels[entry.playing]["max_value"])
    return values[playing + by] if 0 <= playing + by < len(values) else None


def _is_mock(factory) -> bool:
    from gpiozero.pins.mock import MockFactory
    return isinstance(factory, MockFactory)
