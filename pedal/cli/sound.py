"""pedalctl level, eq, gate, knob, ir: the knobs around the model, and its own.

    pedalctl level --input 6 --output -3      # dB
    pedalctl eq --bass 2 --treble -1.5        # dB
    pedalctl gate --threshold -60 --on        # dBFS
    pedalctl knob gain 0.7                    # a capture's own knob (NeuralPi, AIDA-X)
    pedalctl ir upload 4x12.wav --select      # a cabinet impulse response
    pedalctl ir off

Each without settings shows what is set. The IR is parsed and checked here
(pedal.wavfile, pedal.cabinets) and stored crash-safely like a model (pedal.store),
then pedald loads it by name from its IR directory.
"""

from __future__ import annotations

from pathlib import Path

from pedal import cabinets
from pedal.cli.common import Cli, CliError, parent_options
from pedal.cli.library import read_input
from pedal.core import PARAMS
from pedal.store import StoreError
from pedal.uploads import UploadError, install_cabinet

__all__ = ["register"]


def register(commands, parent=None) -> None:
    parent = parent or parent_options()
    register_level(commands, parent)
    register_eq(commands, parent)
    register_gate(commands, parent)
    register_knob(commands, parent)
    register_ir(commands, parent)


def _span(param: str) -> str:
    """An engine parameter's range for the help, from the core's table: "-15..15 dB"."""
    row = PARAMS[param]
    return f"{row.min:g}..{row.max:g} {row.unit}"


def _db(value) -> str:
    return "-" if value is None else f"{value:+.1f} dB"


def register_level(commands, parent) -> None:
    command = commands.add_parser("level", parents=[parent], help="input gain and output level (dB)")
    command.add_argument("--input", type=float, metavar="DB", help=f"gain before the model, {_span('input_gain_db')}")
    command.add_argument("--output", type=float, metavar="DB", help=f"master output level, {_span('output_level_db')}")
    command.set_defaults(run=run_level)


def run_level(cli: Cli) -> int:
    fields = {k: v for k, v in (("input_gain_db", cli.args.input), ("output_level_db", cli.args.output))
              if v is not None}
    if fields:
        cli.ask("set", **fields)
    status = cli.ask("status")
    levels = {"input_gain_db": status.get("input_gain_db"), "output_level_db": status.get("output_level_db")}
    return cli.emit(levels, f"input {_db(levels['input_gain_db'])}, output {_db(levels['output_level_db'])}")


def _on_off(command) -> None:
    group = command.add_mutually_exclusive_group()
    group.add_argument("--on", dest="on", action="store_const", const=True, help="put it in the chain")
    group.add_argument("--off", dest="on", action="store_const", const=False, help="take it out of the chain")


def register_eq(commands, parent) -> None:
    command = commands.add_parser("eq", parents=[parent], help="tone: bass, mid, treble (dB)")
    command.add_argument("--bass", type=float, metavar="DB", help=f"shelf at 100 Hz, {_span('eq_bass_db')}")
    command.add_argument("--mid", type=float, metavar="DB", help=f"peak at 800 Hz, {_span('eq_mid_db')}")
    command.add_argument("--treble", type=float, metavar="DB", help=f"shelf at 3.2 kHz, {_span('eq_treble_db')}")
    _on_off(command)
    command.set_defaults(run=run_eq)


def run_eq(cli: Cli) -> int:
    a = cli.args
    fields = {k: v for k, v in (("bass_db", a.bass), ("mid_db", a.mid), ("treble_db", a.treble), ("on", a.on))
              if v is not None}
    eq = cli.ask("eq", **fields)["eq"] if fields else cli.ask("status").get("eq", {})
    state = "" if eq.get("on", True) else " (off)"
    return cli.emit({"eq": eq}, f"eq: bass {_db(eq.get('bass_db', 0.0))}, mid {_db(eq.get('mid_db', 0.0))}, "
                                f"treble {_db(eq.get('treble_db', 0.0))}{state}")


def register_gate(commands, parent) -> None:
    command = commands.add_parser("gate", parents=[parent], help="noise gate threshold (dBFS), on or off")
    command.add_argument("--threshold", type=float, metavar="DBFS", help=_span("gate_threshold_db"))
    _on_off(command)
    command.set_defaults(run=run_gate)


def run_gate(cli: Cli) -> int:
    fields = {k: v for k, v in (("threshold_db", cli.args.threshold), ("on", cli.args.on)) if v is not None}
    gate = cli.ask("gate", **fields)["gate"] if fields else cli.ask("status").get("gate", {})
    threshold = gate.get("threshold_db")
    return cli.emit({"gate": gate}, f"gate {'on' if gate.get('on') else 'off'}"
                                    + (f", threshold {threshold:.1f} dBFS" if threshold is not None else ""))


def register_knob(commands, parent) -> None:
    command = commands.add_parser("knob", parents=[parent],
                                  help="a capture's own knobs (models trained with them): list, or turn one")
    command.add_argument("name", nargs="?", metavar="NAME", help="the knob, as `pedalctl knob` lists it")
    command.add_argument("value", nargs="?", type=float, metavar="VALUE", help="where to turn it (its range)")
    command.add_argument("--capture", type=int, metavar="N", help="which capture of a rig (1 = first), when several "
                                                                  "have a knob of that name")
    command.set_defaults(run=run_knob)


def run_knob(cli: Cli) -> int:
    a = cli.args
    if a.name is not None and a.value is None:
        raise CliError(f"give the value to turn {a.name} to, e.g. `pedalctl knob {a.name} 0.5`")
    if a.name is None:
        knobs = cli.ask("knob")["knobs"]
        lines = [f"{k['capture']}. {k['model']}: {k['name']} {k['value']:g} ({k['min']:g}..{k['max']:g}, "
                 f"default {k['default']:g})" for k in knobs]
        return cli.emit({"knobs": knobs}, "\n".join(lines) or "no knobs: what plays was trained without")
    fields = {"name": a.name, "value": a.value} | ({"capture": a.capture} if a.capture is not None else {})
    turned = cli.ask("knob", **fields)
    return cli.emit(turned, f"{turned['knob']} {turned['value']:g} (capture {turned['capture']})")


# --- ir ----------------------------------------------------------------------------------------

def register_ir(commands, parent) -> None:
    command = commands.add_parser("ir", parents=[parent], help="cabinet impulse responses: upload, select, off, list")
    actions = command.add_subparsers(dest="ir_action", metavar="ACTION", required=True)
    upload = actions.add_parser("upload", parents=[parent], help="check a WAV impulse response and store it")
    upload.add_argument("file", metavar="FILE|-", help="a WAV file (PCM or float, mono or the first channel)")
    upload.add_argument("--name", help="the name it gets (default: the file name without extension)")
    upload.add_argument("--select", action="store_true", help="use it right away")
    upload.add_argument("--replace", action="store_true", help="replace an IR of the same name")
    upload.set_defaults(run=run_ir_upload)
    select = actions.add_parser("select", parents=[parent], help="play through a stored IR")
    select.add_argument("name", metavar="NAME")
    select.set_defaults(run=lambda cli: _ir(cli, action="select", name=cli.args.name))
    off = actions.add_parser("off", parents=[parent], help="no cabinet")
    off.set_defaults(run=lambda cli: _ir(cli, action="off"))
    listing = actions.add_parser("list", parents=[parent], help="the stored IRs")
    listing.set_defaults(run=lambda cli: _ir(cli, action="list"))


def _ir(cli: Cli, **fields) -> int:
    answer = cli.ask("ir", **fields)
    if fields["action"] == "list":
        return cli.emit(answer, "\n".join(f"{'>' if n == answer.get('ir') else ' '} {n}" for n in answer["irs"])
                        or "no impulse responses stored")
    return cli.emit(answer, f"cabinet: {answer['ir'] or 'off'}")


def run_ir_upload(cli: Cli) -> int:
    args = cli.args
    if args.file == "-" and not args.name:
        raise CliError("reading an impulse response from stdin needs --name NAME")
    status = cli.daemon_status()
    directory = (status or {}).get("irs_dir") or cli.config.library.irs_dir
    store = cabinets.store(directory, max_bytes=int(cli.config.library.max_model_mb * 2**20))
    try:
        name = store.check_name(args.name or Path(args.file).stem, args.replace)
    except StoreError as error:
        raise CliError(str(error)) from None
    data = read_input(cli, args.file, store.max_bytes, "impulse response")
    try:
        done = install_cabinet(store, name, data, args.file, replace=args.replace)
    except UploadError as error:
        raise CliError(str(error)) from None
    path, rate, frames = done.path, done.rate, done.frames
    seconds = frames / rate
    selected = cli.ask("ir", action="select", name=name) if args.select else None
    return cli.emit({"name": name, "file": str(path), "rate": rate, "frames": frames, "daemon": selected},
                    f"stored impulse response {name!r}: {frames} frames at {rate} Hz ({seconds * 1000:.0f} ms, "
                    f"{done.channels} channel(s), first used)" + ("; playing through it" if selected else ""))
