"""pedalctl render, bench, compare: the pedal's sound and speed without playing live.

    pedalctl render plexi di.wav plexi.wav          # a library name or a model file
    pedalctl render crunch di.wav crunch.wav        # a rig (by name, or its .toml file)
    pedalctl compare plexi di.wav amp.wav --plot plexi.png   # a capture against the real amp
    pedalctl bench                                  # every model in the library, at the pedal's period
    pedalctl bench amp.nam --blocks 64,128 --json
    pedalctl bench amp.nam --overhead               # and what Python costs around the core

render runs the clip through the same Engine pedald plays with (pedal.render: the
same normalisation from pedal.levels, the model's own rate bridged to the clip's),
after a pre-roll of silence so the warm-up and crossfade of a model change are
over when the clip starts, and with the chain's latency taken out, so the
output lines up with the input sample for sample. It writes 32-bit float WAV.
"""

from __future__ import annotations

import math
from dataclasses import asdict
from pathlib import Path

import numpy as np

from pedal import render, submodels, wavfile
from pedal.bench import (DEFAULT_BLOCKS, bench_model, machine_description, measure_overhead, render_overhead,
                         render_table)
from pedal.cli.common import Cli, CliError, parent_options
from pedal.cli.rigs import find_rig, rig_engine, rig_putter
from pedal.core import Engine, Model, ModelError
from pedal.library import ModelLibrary
from pedal.store import ModelStore, StoreError, stored_metadata
from pedal.wavfile import WavError, read_wav

__all__ = ["register"]


def register(commands, parent=None) -> None:
    parent = parent or parent_options()
    register_render(commands, parent)
    register_bench(commands, parent)
    register_compare(commands, parent)


def resolve_model(cli: Cli, model: str) -> Path:
    """A model file: ``model`` itself when it is a file, else the library's model of that name."""
    path = Path(model)
    if path.is_file():
        return path
    try:
        found = ModelStore(cli.models_dir()).find(model)
    except StoreError:
        found = None
    if found is None:
        raise CliError(f"{model}: neither a model file nor a model in {cli.models_dir()}")
    return found


# --- render ------------------------------------------------------------------------------------

def register_render(commands, parent) -> None:
    command = commands.add_parser("render", parents=[parent], help="run a WAV through a model offline",
                                  description="Runs IN.wav through MODEL with the pedal's engine (same "
                                              "normalisation and chain) and writes OUT.wav, aligned with IN.")
    command.add_argument("model", metavar="MODEL", help="a library name or a model file")
    command.add_argument("input", metavar="IN.wav")
    command.add_argument("output", metavar="OUT.wav")
    command.add_argument("--channel", type=int, default=0, help="which channel of IN.wav (from 0; default 0)")
    command.add_argument("--block", type=int, help="frames per block (default: the pedal's period)")
    command.add_argument("--input-gain", type=float, default=0.0, metavar="DB")
    command.add_argument("--output-level", type=float, default=0.0, metavar="DB")
    command.add_argument("--bass", type=float, metavar="DB")
    command.add_argument("--mid", type=float, metavar="DB")
    command.add_argument("--treble", type=float, metavar="DB")
    command.add_argument("--gate", type=float, metavar="DBFS", help="noise gate on at this threshold")
    command.add_argument("--ir", metavar="IR.wav", help="cabinet impulse response")
    add_size_option(command)
    command.set_defaults(run=run_render)


def add_size_option(command) -> None:
    command.add_argument("--size", metavar="S", help="for a model with submodels (NAM A2): the size to play, "
                                                     "0..1 (default: the size the library keeps, else 1)")


def playing_size(cli: Cli, path: Path, data: bytes, meta: dict | None) -> tuple[float | None, int | None, list]:
    """(size, index of the submodel it plays, the submodels) for rendering ``data``: --size, else
    the size the library keeps beside it (what the pedal plays), else the core's default."""
    try:
        listed = Model.from_json(data).info.get("submodels") or []
    except ModelError as error:
        raise CliError(f"{path}: {error}") from None
    if cli.args.size is not None:
        try:
            size = submodels.checked_size(cli.args.size, "--size")
        except submodels.SizeError as error:
            raise CliError(str(error)) from None
    else:
        size = submodels.stored_size(meta, listed)
    return size, (submodels.playing_index(listed, size) if listed else None), listed


def read_clip(cli: Cli) -> tuple[np.ndarray, int]:
    """IN.wav's samples ([frames][channels]) and rate, its --channel checked."""
    try:
        samples, rate = read_wav(cli.args.input)
    except WavError as error:
        raise CliError(str(error)) from None
    if not 0 <= cli.args.channel < samples.shape[1]:
        raise CliError(f"{cli.args.input} has {samples.shape[1]} channel(s); --channel counts from 0")
    return samples, rate


def render_block(cli: Cli) -> int:
    block = cli.args.block or cli.config.audio.period
    if not 1 <= block <= 8192:
        raise CliError(f"--block must be 1..8192 frames, got {block}")
    return block


def play_clip(cli: Cli, path: Path, make_engine, samples: np.ndarray, block: int) -> np.ndarray:
    """IN.wav's --channel through the engine ``make_engine()`` builds (pedal.render.play); a model
    or rig that cannot play is a CliError naming ``path``."""
    try:
        return render.play(make_engine(), np.ascontiguousarray(samples[:, cli.args.channel]), block, cli.progress)
    except (ModelError, ValueError) as error:
        raise CliError(f"{path}: {error}") from None
    finally:
        cli.progress_done()


def write_clip(cli: Cli, wet: np.ndarray, rate: int) -> float | None:
    """Writes OUT.wav (32-bit float); returns its peak in dBFS (None when silent)."""
    try:
        wavfile.write(cli.args.output, wet, rate, float32=True)
    except OSError as error:
        raise CliError(f"cannot write {cli.args.output}: {error.strerror or error}") from None
    peak = float(np.max(np.abs(wet))) if len(wet) else 0.0
    return 20 * math.log10(peak) if peak > 0 else None


# The options that shape one model's sound; a rig carries its own (pedalctl rig set).
MODEL_ONLY_OPTIONS = ("input_gain", "output_level", "bass", "mid", "treble", "gate", "ir", "size")


def run_render_rig(cli: Cli, path: Path, rig) -> int:
    args = cli.args
    given = [f"--{name.replace('_', '-')}" for name in MODEL_ONLY_OPTIONS if getattr(args, name) not in (None, 0.0)]
    if given:
        raise CliError(f"{path.name} is a rig: it carries its own levels, EQ, gate, cabinet and sizes; "
                       f"change them with `pedalctl rig set` instead of {', '.join(given)}")
    samples, rate = read_clip(cli)
    block = render_block(cli)
    wet = play_clip(cli, path, lambda: rig_engine(cli, rig, rate, block), samples, block)
    peak_db = write_clip(cli, wet, rate)
    return cli.emit({"rig": str(path), "captures": [c.model for c in rig.captures], "input": args.input,
                     "output": args.output, "rate": rate, "frames": len(wet), "block": block, "peak_dbfs": peak_db},
                    f"wrote {args.output}: {len(wet)} frames at {rate} Hz through rig {rig.name!r} "
                    f"(peak {'-inf' if peak_db is None else f'{peak_db:.1f}'} dBFS)")


def run_render(cli: Cli) -> int:
    args = cli.args
    rig = find_rig(cli, args.model)
    if rig is not None:
        return run_render_rig(cli, *rig)
    path = resolve_model(cli, args.model)
    data = path.read_bytes()
    samples, rate = read_clip(cli)
    ir = None
    if args.ir:
        try:
            ir = read_wav(args.ir)
        except WavError as error:
            raise CliError(str(error)) from None
    block = render_block(cli)
    meta = stored_metadata(path, data)
    size, playing, listed = playing_size(cli, path, data, meta)

    def settings(engine: Engine) -> None:
        engine.set_input_gain(args.input_gain)
        engine.set_output_level(args.output_level)
        engine.set_eq(args.bass, args.mid, args.treble)
        if args.gate is not None:
            engine.set_gate(threshold_db=args.gate, on=True)
        if ir is not None:
            engine.set_ir(ir[0][:, 0], ir[1])

    wet = play_clip(cli, path, lambda: render.chain(
        data, rate, block, size=size, interface_dbu=cli.config.sound.interface_dbu,
        loudness=submodels.stored_loudness(meta, listed, playing), crossfade_ms=cli.config.sound.crossfade_ms,
        settings=settings)[0], samples, block)
    peak_db = write_clip(cli, wet, rate)
    played = f" ({submodels.label(listed[playing])})" if listed else ""
    return cli.emit({"model": str(path), "input": args.input, "output": args.output, "rate": rate,
                     "frames": len(wet), "block": block, "peak_dbfs": peak_db,
                     "size": (1.0 if size is None else size) if listed else None, "playing": playing},
                    f"rendered {len(wet) / rate:.2f} s at {rate} Hz through {path.name}{played} into {args.output} "
                    f"(peak {'-inf' if peak_db is None else f'{peak_db:.1f}'} dBFS)")


# --- bench -------------------------------------------------------------------------------------

def register_bench(commands, parent) -> None:
    command = commands.add_parser("bench", parents=[parent], help="how fast models run here (pedal.bench)")
    command.add_argument("models", metavar="MODEL", nargs="*", help="library names or files (default: the library)")
    command.add_argument("--blocks", help="block sizes in frames, e.g. 64,128 (default: the pedal's period)")
    command.add_argument("--runs", type=int, default=5)
    command.add_argument("--seconds", type=float, default=2.0, help="audio per run")
    command.add_argument("--overhead", action="store_true",
                         help="also time the binding's per-call cost and the audio loop's Python share")
    command.add_argument("--switch", nargs=2, metavar="RIG",
                         help="instead: the cost of changing between two rigs (both play during the crossfade)")
    command.set_defaults(run=run_bench)


def run_bench(cli: Cli) -> int:
    args = cli.args
    if args.switch:
        return run_bench_switch(cli)
    rate, period = cli.rate_and_period()
    try:
        blocks = [int(b) for b in args.blocks.split(",")] if args.blocks else [period]
        if min(blocks) < 1 or args.runs < 1 or args.seconds <= 0:
            raise ValueError
    except ValueError:
        raise CliError(f"--blocks takes positive integers like {','.join(map(str, DEFAULT_BLOCKS))}; "
                       "--runs and --seconds must be positive") from None
    if args.models:
        paths = [resolve_model(cli, m) for m in args.models]
    else:
        paths = [e.path for e in ModelLibrary(cli.models_dir(), default_model=None).scan()]
        if not paths:
            raise CliError(f"no models in {cli.models_dir()} to time; name one")
    timings, refused = [], []
    for path in paths:
        try:
            timings += bench_model(str(path), blocks, args.runs, args.seconds, rate, cli.progress)
        except (OSError, ModelError) as error:
            refused.append({"model": path.name, "error": str(error)})
            cli.note(f"bench: skipped {error}")
    overhead = measure_overhead([str(p) for p in paths], rate, cli.progress, period) if args.overhead else None
    cli.progress_done()
    report = {"rate": rate, "host": machine_description(), "results": [asdict(t) for t in timings],
              "refused": refused}
    table = render_table(timings, rate)
    if overhead:
        report["overhead"] = overhead
        table += "\n" + render_overhead(overhead)
    cli.emit(report, table)
    return 1 if refused else 0


def run_bench_switch(cli: Cli) -> int:
    """pedalctl bench --switch A B: every period timed while the pedal changes from rig A to rig B
    and back (pedal.rig_cost.measure_switch), at the pedal's rate and period."""
    from pedal import rig_cost

    rate, period = cli.rate_and_period()
    found = [find_rig(cli, name) for name in cli.args.switch]
    for name, rig in zip(cli.args.switch, found):
        if rig is None:
            raise CliError(f"no rig called {name!r} (`pedalctl rig list`)")
    put_a, put_b = (rig_putter(cli, rig, rate, period) for _, rig in found)
    cli.progress(f"changing between {cli.args.switch[0]!r} and {cli.args.switch[1]!r} at {rate} Hz, period {period}")
    cost = rig_cost.measure_switch(put_a, put_b, rate, period)
    cli.progress_done()
    period_ms = period / rate * 1000
    return cli.emit({"switch": list(cli.args.switch), "host": machine_description(), **vars(cost)},
                    f"changing rig, {cost.switches} times: the slowest period {cost.peak_percent:.1f} % of the "
                    f"{period_ms:.2f} ms period (median of the changes' slowest {cost.median_peak_percent:.1f} %), "
                    f"playing {cost.steady_percent:.1f} %; a change lasts {cost.periods_per_switch:.0f} periods")


# --- compare -----------------------------------------------------------------------------------

def register_compare(commands, parent) -> None:
    command = commands.add_parser("compare", parents=[parent], help="a capture against the real gear's recording",
                                  description="Plays IN.wav through MODEL and compares it with TARGET.wav (what "
                                              "the real gear made of IN.wav): ESR, level, alignment; --plot "
                                              "draws waveforms and spectra (needs matplotlib).")
    command.add_argument("model", help="a model file or a library name")
    command.add_argument("input", help="IN.wav: the dry signal")
    command.add_argument("target", help="TARGET.wav: the real gear's output")
    command.add_argument("--plot", metavar="PNG", help="draw waveform overlay and spectra into this image")
    add_size_option(command)
    command.set_defaults(run=run_compare)


def run_compare(cli: Cli) -> int:
    from pedal import compare
    args = cli.args
    path = resolve_model(cli, args.model)
    try:
        data = path.read_bytes()
    except OSError as error:
        raise CliError(f"{path}: cannot read ({error.strerror or error})") from None
    size, _, listed = playing_size(cli, path, data, stored_metadata(path, data))
    argv = [str(path), args.input, args.target]
    argv += ["--plot", args.plot] if args.plot else []
    argv += ["--size", str(size)] if listed and size is not None else []
    return compare.main(argv + (["--json"] if cli.json else []))
