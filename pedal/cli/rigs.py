"""pedalctl rig: rigs, a whole sound each (captures in series, cabinet, EQ, gate, levels).

    pedalctl rig new crunch --capture TS9 --drive 6 --capture "Blues Junior" --ir "v30 4x12"
    pedalctl rig show crunch                  # the rig's file, as stored
    pedalctl rig set crunch eq.bass_db=2 capture[1].input_gain_db=8
    pedalctl rig list | rename OLD NEW | remove NAME | order NAME...

A rig is a TOML file in [library] rigs_dir (pedal.rigs). pedalctl checks it whole (every key,
every capture and the cabinet present in the library) and writes it crash-safely, as it does
models. With --library DIR, the models are DIR's and the rigs DIR/../rigs.
"""

from __future__ import annotations

from pathlib import Path

from pedal import cabinets, rigs, transaction
from pedal.cli.common import Cli, CliError
from pedal.cli.library import after_change
from pedal.store import ModelStore, StoreError, stored_metadata

__all__ = ["existing_rig", "find_rig", "finish_imports", "import_directories", "ir_store", "register", "rig_cost",
           "rig_engine", "rig_putter", "rig_store"]


def register(commands, parent) -> None:
    rig = commands.add_parser("rig", parents=[parent], help="rigs: captures in series with their sound")
    actions = rig.add_subparsers(dest="rig_command", metavar="ACTION", required=True)

    new = actions.add_parser("new", parents=[parent], help="make a rig of 1 to 4 captures")
    new.add_argument("name", metavar="NAME")
    new.add_argument("--capture", action="append", required=True, metavar="MODEL",
                     help="a model in the library, in playing order (repeat, up to 4)")
    new.add_argument("--drive", action="append", type=float, metavar="DB",
                     help="input gain into each capture, in the order given (default 0)")
    new.add_argument("--ir", metavar="CABINET", help="an impulse response in the library")
    new.add_argument("--output-level", type=float, default=0.0, metavar="DB")
    new.add_argument("--replace", action="store_true", help="replace a rig of that name")
    _force(new)
    new.set_defaults(run=run_new)

    show = actions.add_parser("show", parents=[parent], help="a rig's settings")
    show.add_argument("name", metavar="NAME")
    show.set_defaults(run=run_show)

    listing = actions.add_parser("list", parents=[parent], help="the rigs stored")
    listing.set_defaults(run=run_list)

    change = actions.add_parser("set", parents=[parent], help="change settings of a rig: key=value ...")
    change.add_argument("name", metavar="NAME")
    change.add_argument("settings", nargs="+", metavar="KEY=VALUE",
                        help="as the file spells them: output_level_db=-3 eq.bass_db=2 capture[1].input_gain_db=6")
    _force(change)
    change.set_defaults(run=run_set)

    rename = actions.add_parser("rename", parents=[parent], help="give a rig another name")
    rename.add_argument("old", metavar="OLD")
    rename.add_argument("new", metavar="NEW")
    rename.set_defaults(run=run_rename)

    select = actions.add_parser("select", parents=[parent], help="play a rig (as stored: changes made live are dropped)")
    select.add_argument("name", metavar="NAME")
    select.set_defaults(run=run_select)

    save = actions.add_parser("save", parents=[parent],
                              help="write the changes made live (level, eq, gate, ir) into the rig playing")
    save.set_defaults(run=run_save)

    remove = actions.add_parser("remove", parents=[parent], help="delete a rig (its captures stay)")
    remove.add_argument("name", metavar="NAME")
    remove.set_defaults(run=run_remove)

    from pedal.cli import rig_bundles   # export, import: they use what this module defines
    rig_bundles.register(actions, parent)

    order = actions.add_parser("order", parents=[parent], help="the order the rigs are listed and stepped in")
    order.add_argument("names", nargs="+", metavar="NAME", help="rigs first, in this order; the rest after, by name")
    order.set_defaults(run=run_order)


def _force(command) -> None:
    command.add_argument("--force", action="store_true",
                         help="store it even when it costs more than max_cpu_percent of the period on this device")


# --- where things are ---------------------------------------------------------------------------

def rig_store(cli: Cli) -> ModelStore:
    """The rigs' directory: --library's sibling "rigs", else pedald's, else the settings'."""
    if cli.library_given:
        directory = Path(cli.args.library).parent / "rigs"
    else:
        directory = (cli.daemon_status() or {}).get("rigs_dir") or cli.config.library.rigs_dir
    return rigs.store(directory)


def ir_store(cli: Cli) -> ModelStore:
    if cli.library_given:
        directory = Path(cli.args.library).parent / "irs"
    else:
        directory = (cli.daemon_status() or {}).get("irs_dir") or cli.config.library.irs_dir
    return cabinets.store(directory, int(cli.config.library.max_model_mb * 2**20))


def import_directories(cli: Cli) -> list[Path]:
    """Every directory a rig import writes into, in the order their locks are taken."""
    return [Path(cli.models_dir()), ir_store(cli).directory, rig_store(cli).directory]


def finish_imports(cli: Cli) -> int:
    """Completes a rig import a kill interrupted after it was committed (pedal.transaction)."""
    return transaction.finish(rig_store(cli).directory, import_directories(cli))


def find_rig(cli: Cli, name: str) -> tuple[Path, rigs.Rig] | None:
    """(file, rig) for a rig file path or a stored rig's name; None when it is neither."""
    path = Path(name)
    if not (path.suffix.lower() == ".toml" and path.is_file()):
        try:
            path = rig_store(cli).find(name)
        except StoreError:
            path = None
    if path is None:
        return None
    try:
        return path, rigs.parse_rig(path.read_text(encoding="utf-8"), path.name)
    except (OSError, UnicodeDecodeError) as error:
        raise CliError(f"cannot read {path}: {error}") from None
    except rigs.RigError as error:
        raise CliError(str(error)) from None


def existing_rig(cli: Cli, name: str) -> tuple[Path, rigs.Rig]:
    found = find_rig(cli, name)
    if found is None:
        raise CliError(f"no rig called {name!r} in {rig_store(cli).directory} (`pedalctl rig list`)")
    return found


def _store(cli: Cli, rig: rigs.Rig, replace: bool) -> tuple[Path, object]:
    """Checks the rig against the library and its cost on this device (refused over
    max_cpu_percent unless --force) and writes it crash-safely; (file, pedal.rig_cost.RigCost)."""
    from pedal import rig_cost as costs

    store = rig_store(cli)
    try:
        models = ModelStore(cli.models_dir())
        rigs.check_references(rig, models, ir_store(cli))
        for n, capture in enumerate(rig.captures, 1):
            if capture.knobs:
                knobs = _model_of(models, capture.model).knobs
                rigs.knob_positions(capture.knobs, knobs, capture.model, f"{rig.name}.toml: capture[{n}].knobs")
        cost = rig_cost(cli, rig)
        if not cli.args.force:
            costs.check_cost(cost, cli.config.library.max_cpu_percent, f"{rig.name}.toml")
        return store.install(rig.name, rigs.format_rig(rig).encode(), ".toml", replace=replace), cost
    except (rigs.RigError, StoreError, OSError) as error:
        raise CliError(str(error)) from None


def _cost_text(cost) -> str:
    period_ms = cost.period / cost.rate * 1000
    return (f"CPU {cost.cpu_percent:.1f} % of the {period_ms:.2f} ms period on this device "
            f"(alone: {cost.figures()})")


def _model_of(models: ModelStore, name: str):
    from pedal.core import Model, ModelError
    path = models.find(name)
    try:
        return Model.from_json(path.read_bytes())
    except ModelError as error:
        raise CliError(f"{path}: {error}") from None


def _summary(rig: rigs.Rig) -> dict:
    return {"name": rig.name,
            "captures": [{"model": c.model, "input_gain_db": c.input_gain_db, "knobs": c.knobs, "size": c.size}
                         for c in rig.captures],
            "cabinet": rig.sound.ir, "input_level_db": rig.input_level_db, "output_level_db": rig.output_level_db,
            "eq": {k: v for k, v in vars(rig.sound.eq).items() if v is not None},
            "gate": {k: v for k, v in vars(rig.sound.gate).items() if v is not None}}


def _chain_text(rig: rigs.Rig) -> str:
    stages = [c.model + (f" ({c.input_gain_db:+g} dB)" if c.input_gain_db else "") for c in rig.captures]
    return " -> ".join(stages + ([f"cabinet {rig.sound.ir}"] if rig.sound.ir else []))


# --- the commands -------------------------------------------------------------------------------

def run_new(cli: Cli) -> int:
    args = cli.args
    drives = args.drive or []
    if len(drives) > len(args.capture):
        raise CliError(f"{len(drives)} --drive values for {len(args.capture)} --capture models")
    try:
        name = rig_store(cli).check_name(args.name, args.replace)
    except StoreError as error:
        raise CliError(str(error)) from None
    document = {"output_level_db": args.output_level, "cabinet": args.ir or "",
                "capture": [{"model": m, "input_gain_db": drives[n] if n < len(drives) else 0.0}
                            for n, m in enumerate(args.capture)]}
    try:
        rig = rigs.rig_from_document(document, f"{name}.toml", name)
    except rigs.RigError as error:
        raise CliError(str(error)) from None
    path, cost = _store(cli, rig, args.replace)
    after_change(cli)
    return cli.emit(dict(_summary(rig), file=str(path), cpu=vars(cost)),
                    f"stored rig {name!r}: {_chain_text(rig)}; {_cost_text(cost)}")


def run_show(cli: Cli) -> int:
    path, rig = existing_rig(cli, cli.args.name)
    return cli.emit(dict(_summary(rig), file=str(path)), path.read_text(encoding="utf-8").rstrip("\n"))


def run_list(cli: Cli) -> int:
    finish_imports(cli)
    store = rig_store(cli)
    listed, skipped = [], []
    for path in rigs.in_order(store):
        try:
            listed.append(rigs.parse_rig(path.read_text(encoding="utf-8"), path.name))
        except (OSError, UnicodeDecodeError) as error:
            skipped.append(f"{path.name}: {error}")
        except rigs.RigError as error:
            skipped.append(str(error))
    for problem in skipped:
        cli.note(f"skipped {problem}")
    text = "\n".join(f"{rig.name}: {_chain_text(rig)}" for rig in listed)
    return cli.emit({"rigs": [_summary(rig) for rig in listed], "directory": str(store.directory),
                     "skipped": skipped}, text or f"no rigs in {store.directory} (`pedalctl rig new`)")


def run_set(cli: Cli) -> int:
    path, rig = existing_rig(cli, cli.args.name)
    for setting in cli.args.settings:
        key, sep, value = setting.partition("=")
        if not sep or not key.strip():
            raise CliError(f"{setting!r}: give settings as key=value, e.g. output_level_db=-3")
        try:
            rig = rigs.with_value(rig, key, value, path.name)
        except rigs.RigError as error:
            raise CliError(str(error)) from None
    stored, cost = _store(cli, rig, replace=True)
    after_change(cli)
    return cli.emit(dict(_summary(rig), file=str(stored), cpu=vars(cost)),
                    f"rig {rig.name!r}: {', '.join(cli.args.settings)}; {_cost_text(cost)}")


def run_rename(cli: Cli) -> int:
    path, rig = existing_rig(cli, cli.args.old)
    store = rig_store(cli)
    try:
        target = store.rename(path.stem, cli.args.new)
        renamed = rigs.Rig(target.stem, rig.captures, rig.sound, rig.input_level_db, rig.output_level_db)
        store.install(target.stem, rigs.format_rig(renamed).encode(), ".toml", replace=True)  # its header too
    except (StoreError, OSError) as error:
        raise CliError(str(error)) from None
    after_change(cli)
    return cli.emit({"old": rig.name, "new": target.stem, "file": str(target)},
                    f"renamed rig {rig.name!r} to {target.stem!r}")


def run_select(cli: Cli) -> int:
    now = cli.ask("rig", action="select", name=cli.args.name)
    return cli.emit(now, f"playing rig {now['rig']}: {' -> '.join(now['captures'])}")


def run_save(cli: Cli) -> int:
    saved = cli.ask("rig", action="save")
    changes = ", ".join(saved["saved"])
    return cli.emit(saved, f"saved rig {saved['rig']!r}" + (f": {changes}" if changes else " (no changes to save)"))


def run_remove(cli: Cli) -> int:
    store = rig_store(cli)
    try:
        path = store.remove(cli.args.name)
    except (StoreError, OSError) as error:
        raise CliError(str(error)) from None
    after_change(cli)
    return cli.emit({"removed": path.stem, "file": str(path)}, f"removed rig {path.stem!r} (its captures stay)")


def run_order(cli: Cli) -> int:
    store = rig_store(cli)
    try:
        names = store.set_order(cli.args.names)
    except (StoreError, OSError) as error:
        raise CliError(str(error)) from None
    after_change(cli)
    return cli.emit({"order": names}, "\n".join(names))


# --- a rig as pedald plays it: render, CPU ------------------------------------------------------

def _capture_loaders(cli: Cli, rig: rigs.Rig, pending: dict[str, tuple[bytes, float | None]] | None = None) -> list:
    """For each capture, a maker of a fresh Model as pedald plays it: at the size the rig names,
    else the one the library keeps, with the rig's knob positions checked (set by the caller,
    after the loudness is measured). ``pending``: captures not in the library yet (an import),
    by name: their bytes and the size validation chose."""
    from pedal import submodels
    from pedal.core import Model, ModelError

    models_store = ModelStore(cli.models_dir())
    loaders = []
    for n, capture in enumerate(rig.captures, 1):
        if pending and capture.model in pending:
            path, (data, kept_size) = Path(capture.model), pending[capture.model]
        else:
            try:
                path = models_store.find(capture.model)
            except StoreError:
                path = None
            if path is None:
                raise CliError(f"{rig.name}.toml: capture[{n}].model: no model called {capture.model!r} in "
                               f"{models_store.directory}")
            data = path.read_bytes()
            kept_size = None
        try:
            model = Model.from_json(data)
            size = capture.size if capture.size is not None else kept_size if kept_size is not None else \
                submodels.stored_size(stored_metadata(path, data), model.info.get("submodels") or [])
            rigs.knob_positions(capture.knobs, model.knobs, capture.model, f"{rig.name}.toml: capture[{n}].knobs")
        except ModelError as error:
            raise CliError(f"{path}: {error}") from None
        except rigs.RigError as error:
            raise CliError(str(error)) from None
        loaders.append(lambda data=data, size=size: Model.from_json(data, size=size))
    return loaders


def _cabinet(cli: Cli, rig: rigs.Rig, pending=None):
    """(mono samples, rate) of the rig's cabinet from the library, or ``pending`` (an import's)."""
    if not rig.sound.ir:
        return None
    if pending is not None:
        return pending
    try:
        _, samples, ir_rate = cabinets.load(ir_store(cli), rig.sound.ir)
    except cabinets.CabinetError as error:
        raise CliError(f"{rig.name}.toml: cabinet: {error}") from None
    return samples[:, 0], ir_rate


def rig_engine(cli: Cli, rig: rigs.Rig, rate: int, block: int, loaders: list | None = None, ir=False):
    """An Engine playing ``rig`` as pedald will: its captures from the library in series at
    levels.chain_gains_db, with its knobs, levels, EQ, gate and cabinet."""
    from pedal import render

    loaders = loaders if loaders is not None else _capture_loaders(cli, rig)
    ir = _cabinet(cli, rig) if ir is False else ir
    return render.chain_of([load() for load in loaders], [c.input_gain_db for c in rig.captures], rate, block,
                           interface_dbu=cli.config.sound.interface_dbu, crossfade_ms=cli.config.sound.crossfade_ms,
                           settings=lambda engine: _sound(engine, rig, ir), knobs=[c.knobs for c in rig.captures])


def _sound(engine, rig: rigs.Rig, ir) -> None:
    rigs.apply_sound(engine, rig)
    if ir is not None:
        engine.set_ir(*ir)


def rig_putter(cli: Cli, rig: rigs.Rig, rate: int, period: int):
    """A function that hands an Engine ``rig`` as pedald does when the footswitch changes to it:
    its sound staged (Engine.stage), then its chain of fresh Models at the rig's levels."""
    from pedal import levels

    loaders, ir = _capture_loaders(cli, rig), _cabinet(cli, rig)
    drives = [c.input_gain_db for c in rig.captures]
    gains = levels.chain_gains_db([load() for load in loaders], drives, cli.config.sound.interface_dbu)

    def put(engine) -> None:
        models = [load() for load in loaders]
        for model, capture in zip(models, rig.captures):
            for name, value in capture.knobs.items():
                model.set_knob(name, value)
        rigs.apply_sound(engine, rig, staged=True)
        engine.stage_ir(*(ir or (None,)))
        engine.set_chain(models, *gains)
    return put


def rig_cost(cli: Cli, rig: rigs.Rig, pending=None, pending_ir=None):
    """What ``rig`` costs on this device at the pedal's rate and period (pedal.rig_cost): the whole
    rig, and each capture alone as the rig drives it (``pending``, ``pending_ir``: an import's)."""
    from pedal import render, rig_cost as costs

    rate, period = cli.rate_and_period()
    loaders, ir = _capture_loaders(cli, rig, pending), _cabinet(cli, rig, pending_ir)
    alone = [(f"{n}. {capture.model}",
              lambda load=load, capture=capture: render.chain_of([load()], [capture.input_gain_db], rate, period,
                                                                 interface_dbu=cli.config.sound.interface_dbu,
                                                                 knobs=[capture.knobs]))
             for n, (load, capture) in enumerate(zip(loaders, rig.captures), 1)]
    cli.progress(f"timing rig {rig.name!r} at {rate} Hz in periods of {period}")
    cost = costs.measure_rig(lambda: rig_engine(cli, rig, rate, period, loaders, ir), alone, rate, period)
    cli.progress_done()
    return cost
