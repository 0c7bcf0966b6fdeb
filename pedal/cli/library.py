"""pedalctl upload, list, info, size, remove, rename, order: the models on the pedal.

    pedalctl upload plexi.nam --select          # validate, store, play it
    pedalctl info plexi                         # format, architecture, parameters, rate, submodels
    pedalctl size boss-a2 0.5                   # a model with submodels plays a smaller one, live
    ssh pi@pedal pedalctl upload - --name plexi < plexi.nam
    pedalctl --library /media/sd/var/lib/pedal/models list

pedalctl validates a model (pedal.validate) and writes it into the models
directory itself (pedal.store: crash-safe, names checked under a lock), then
tells pedald to read the directory again; so pedald never sees half a file and
large models never travel through the control socket. With --library DIR the
same happens on DIR, without pedald.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

from pedal import submodels
from pedal.cli.common import Cli, CliError, parent_options
from pedal.library import ModelLibrary
from pedal.store import ModelStore, StoreError, stored_metadata
from pedal.uploads import UploadError, install_model

__all__ = ["register"]


def register(commands, parent=None) -> None:
    parent = parent or parent_options()
    register_upload(commands, parent)
    register_list(commands, parent)
    register_info(commands, parent)
    register_size(commands, parent)
    register_remove(commands, parent)
    register_rename(commands, parent)
    register_order(commands, parent)


def store_for(cli: Cli) -> ModelStore:
    return ModelStore(cli.models_dir(), max_bytes=int(cli.config.library.max_model_mb * 2**20))


def read_input(cli: Cli, source: str, limit: int, what: str = "model") -> bytes:
    """The bytes of FILE, or of stdin for "-"; at most ``limit`` (read one more to tell)."""
    try:
        if source == "-":
            data = cli.stdin.buffer.read(limit + 1)
        else:
            with open(source, "rb") as file:
                data = file.read(limit + 1)
    except OSError as error:
        raise CliError(f"cannot read {source}: {error.strerror or error}") from None
    if len(data) > limit:
        raise CliError(f"{'stdin' if source == '-' else source}: the {what} is larger than the limit of "
                       f"{limit / 2**20:g} MiB ([library] max_model_mb in pedal.toml)")
    return data


def after_change(cli: Cli, select: str | None = None) -> dict | None:
    """Tells pedald the directory changed (unless --library); its answer, or None when it is not running."""
    if cli.library_given:
        return None
    answer = cli.try_ask("reload")
    if answer is None:
        cli.note("pedald is not running; it finds the change when it starts")
        return None
    if select is not None:
        answer = cli.ask("select", name=select)
    return answer


# --- upload ------------------------------------------------------------------------------------

def register_upload(commands, parent) -> None:
    command = commands.add_parser("upload", parents=[parent], help="validate a model and add it to the pedal",
                                  description="Validates a model (parse, 2 s of a guitar signal, CPU on this "
                                              "device, loudness) and stores it crash-safely.")
    command.add_argument("file", metavar="FILE|-", help="a .json, .nam or .aidax model; - reads stdin")
    command.add_argument("--name", help="the name it gets (default: the file name without extension)")
    command.add_argument("--select", action="store_true", help="play it right away")
    command.add_argument("--replace", action="store_true", help="replace a model of the same name")
    command.add_argument("--force", action="store_true", help="install even above the CPU limit")
    command.set_defaults(run=run_upload)


def run_upload(cli: Cli) -> int:
    args = cli.args
    if args.file == "-" and not args.name:
        raise CliError("reading a model from stdin needs --name NAME")
    name = args.name if args.name else Path(args.file).stem
    store = store_for(cli)
    try:
        name = store.check_name(name, args.replace)  # before the slow part: a taken name fails fast
    except StoreError as error:
        raise CliError(str(error)) from None
    data = read_input(cli, args.file, store.max_bytes)
    rate, period = cli.rate_and_period()
    try:
        done = install_model(store, name, data, args.file, rate, period, cli.config.library.max_cpu_percent,
                             force=args.force, replace=args.replace, progress=cli.progress)
    except UploadError as error:
        raise CliError(str(error)) from None
    finally:
        cli.progress_done()
    report, path = done.report, done.path
    daemon = after_change(cli, select=name if args.select else None)
    human = [f"installed {name!r} as {path} ({len(data) / 1024:.1f} KiB, validated in "
             f"{done.seconds:.1f} s)"] + [f"  {line}" for line in report.summary().splitlines()]
    if daemon is not None:
        human.append(f"  pedald: playing {daemon.get('model')}")
    return cli.emit({"name": name, "file": str(path), "bytes": len(data), "validation": report.as_dict(),
                     "daemon": daemon}, "\n".join(human))


# --- list --------------------------------------------------------------------------------------

def register_list(commands, parent) -> None:
    command = commands.add_parser("list", parents=[parent], help="the models, in footswitch order")
    command.set_defaults(run=run_list)


def _local_library(cli: Cli) -> ModelLibrary:
    """The --library directory read as pedald reads it, with each model's size from its sidecar."""
    library = ModelLibrary(cli.models_dir(), default_model=None)
    for index, entry in enumerate(library.scan()):
        if entry.submodels:
            library.with_size(index, submodels.stored_size(stored_metadata(entry.path, entry.data),
                                                           entry.submodels))
    return library


def _library_listing(cli: Cli) -> dict:
    library = _local_library(cli)
    models = []
    for entry in library.entries:
        details = entry.details(stored_metadata(entry.path, entry.data))
        described = entry.describe()
        described.update({k: details.get(k) for k in ("loudness_db", "cpu_percent")})
        models.append(described)
    return {"models": models, "current": None, "skipped": dict(library.skipped),
            "directory": str(library.directory)}


def run_list(cli: Cli) -> int:
    listing = _library_listing(cli) if cli.library_given else cli.ask("list")
    lines = []
    for number, model in enumerate(listing["models"], 1):
        mark = ">" if model["name"] == listing.get("current") else " "
        rate = f"{model['sample_rate'] / 1000:g} kHz" if model.get("sample_rate") else "?"
        extra = f"  {model['cpu_percent']:.1f} % CPU" if model.get("cpu_percent") is not None else ""
        if model.get("submodels"):
            extra += (f"  size {model['size']:g} (submodel {model['playing'] + 1} of "
                      f"{len(model['submodels'])})")
        lines.append(f"{mark}{number:3d}  {model['name']:24}  {model.get('format') or '?':9} "
                     f"{model.get('architecture') or '?':12} {model.get('parameters') or 0:>9} params  {rate}"
                     f"{'  (bundled default)' if model.get('default') else ''}{extra}")
    if not lines:
        lines.append("no models" + (f" in {listing['directory']}" if listing.get("directory") else ""))
    for file, why in (listing.get("skipped") or {}).items():
        lines.append(f"  skipped {file}: {why}")
    return cli.emit(listing, "\n".join(lines))


# --- info, size ---------------------------------------------------------------------------------

def register_info(commands, parent) -> None:
    command = commands.add_parser("info", parents=[parent], help="what a model is: format, size, submodels",
                                  description="Format, architecture, parameters, rate, what validation measured "
                                              "(CPU, loudness) and, for a model with submodels (NAM A2), each "
                                              "of them with the one playing marked.")
    command.add_argument("name", metavar="NAME")
    command.set_defaults(run=run_info)


def _local_entry(cli: Cli, name: str):
    library = _local_library(cli)
    index = library.index(name)
    if index is None:
        index = next((i for i, e in enumerate(library.entries) if e.name.casefold() == name.casefold()), None)
    if index is None:
        known = ", ".join(e.name for e in library.entries) or "none"
        raise CliError(f"no model called {name!r} in {library.directory} (models: {known})")
    return library.entries[index]


def format_info(info: dict) -> str:
    """`pedalctl info` for a person."""
    rate = f"{info['sample_rate'] / 1000:g} kHz" if info.get("sample_rate") else "?"
    if info.get("rate_handling"):
        rate += f" ({info['rate_handling']})"
    lines = [("name", info.get("name")), ("file", info.get("file")), ("format", info.get("format")),
             ("architecture", info.get("architecture")), ("parameters", info.get("parameters")), ("rate", rate)]
    if isinstance(info.get("cpu_percent"), (int, float)):
        at = info.get("measured_at") or {}
        lines.append(("cpu", f"{info['cpu_percent']:.1f} % of the period"
                             + (f" at {at['rate']} Hz / {at['period']} frames" if at else "")))
    if isinstance(info.get("loudness_db"), (int, float)):
        lines.append(("loudness", f"{info['loudness_db']:.1f} dBFS ({info.get('loudness_source') or '?'})"))
    if info.get("submodels"):
        lines.append(("size", f"{info['size']:g}: submodel {info['playing'] + 1} of {len(info['submodels'])}"
                              + (" [over the CPU limit: forced]" if info.get("forced") else "")))
        lines.append(("submodels", ""))
    text = "\n".join(f"{key:13} {value}".rstrip() for key, value in lines)
    if info.get("submodels"):
        text += "\n" + "\n".join(f"  {line}" for line in
                                 submodels.describe(info["submodels"], info.get("size"), info["submodels"]))
    return text


def run_info(cli: Cli) -> int:
    if cli.library_given:
        entry = _local_entry(cli, cli.args.name)
        info = entry.details(stored_metadata(entry.path, entry.data))
    else:
        info = cli.ask("info", name=cli.args.name)
        info.pop("ok", None)
    return cli.emit(info, format_info(info))


def register_size(commands, parent) -> None:
    command = commands.add_parser("size", parents=[parent], help="which submodel a model with submodels plays",
                                  description="A NAM A2 file holds submodels of different sizes and costs; "
                                              "size S (0..1) plays the first whose max_value is at least S. "
                                              "Without S: the submodels and the size chosen. The change is "
                                              "live (warm-up and crossfade, as a model change) and kept.")
    command.add_argument("name", metavar="NAME")
    command.add_argument("size", metavar="S", nargs="?", help="a number in 0..1 (1: the largest)")
    command.add_argument("--force", action="store_true",
                         help="play it even when validation measured it above max_cpu_percent")
    command.set_defaults(run=run_size)


def _local_size(cli: Cli, size: float) -> dict:
    """size with --library: kept in the sidecar, for pedald's next start."""
    entry = _local_entry(cli, cli.args.name)
    if not entry.submodels:
        raise CliError(f"{entry.name} has no submodels: it plays at one size only")
    meta = stored_metadata(entry.path, entry.data) or {}
    try:
        submodels.check_fits(meta.get("submodels"), size, cli.config.library.max_cpu_percent, cli.args.force,
                             meta.get("rate"), meta.get("period"))
        store_for(cli).update_metadata(entry.path, entry.data, {"size": size, "forced": bool(cli.args.force)})
    except (submodels.SizeError, StoreError) as error:
        raise CliError(f"{entry.name}: {error}") from None
    except OSError as error:
        raise CliError(f"cannot write beside {entry.path}: {error.strerror or error}") from None
    entry = dataclasses.replace(entry, size=size)
    return {"name": entry.name, "size": size, "playing": entry.playing, "submodels": entry.submodels,
            "saved": True, "model": None}


def run_size(cli: Cli) -> int:
    if cli.args.size is None:
        return run_info(cli)
    try:
        size = submodels.checked_size(cli.args.size, "S")
    except submodels.SizeError as error:
        raise CliError(str(error)) from None
    if cli.library_given:
        answer = _local_size(cli, size)
    else:
        answer = cli.ask("size", name=cli.args.name, size=size, **({"force": True} if cli.args.force else {}))
        answer.pop("ok", None)
    chosen = answer["submodels"][answer["playing"]]
    human = f"{answer['name']}: size {size:g}, submodel {answer['playing'] + 1} of {len(answer['submodels'])} " \
            f"({submodels.label(chosen)})"
    if answer.get("model") == answer["name"]:
        human += "; playing it now"
    if not answer.get("saved", True):
        human += "; not kept beside the model (see pedald's log): back to the stored size at the next start"
    return cli.emit(answer, human)


# --- remove, rename, order -----------------------------------------------------------------------

def register_remove(commands, parent) -> None:
    command = commands.add_parser("remove", parents=[parent], help="delete a model from the pedal")
    command.add_argument("name", metavar="NAME")
    command.set_defaults(run=run_remove)


def run_remove(cli: Cli) -> int:
    try:
        path = store_for(cli).remove(cli.args.name)
    except StoreError as error:
        raise CliError(str(error)) from None
    daemon = after_change(cli)
    return cli.emit({"removed": path.stem, "file": str(path), "daemon": daemon},
                    f"removed {path.stem!r} ({path.name})" + (f"; playing {daemon['model']}" if daemon else ""))


def register_rename(commands, parent) -> None:
    command = commands.add_parser("rename", parents=[parent], help="give a model another name")
    command.add_argument("old", metavar="OLD")
    command.add_argument("new", metavar="NEW")
    command.set_defaults(run=run_rename)


def run_rename(cli: Cli) -> int:
    try:
        path = store_for(cli).rename(cli.args.old, cli.args.new)
    except StoreError as error:
        raise CliError(str(error)) from None
    daemon = after_change(cli)
    return cli.emit({"renamed": cli.args.old, "name": path.stem, "file": str(path), "daemon": daemon},
                    f"renamed {cli.args.old!r} to {path.stem!r} ({path.name})")


def register_order(commands, parent) -> None:
    command = commands.add_parser("order", parents=[parent], help="set the footswitch order",
                                  description="The models named come first, in this order; the rest follow "
                                              "by name.")
    command.add_argument("names", metavar="NAME", nargs="+")
    command.set_defaults(run=run_order)


def run_order(cli: Cli) -> int:
    try:
        listed = store_for(cli).set_order(cli.args.names)
    except StoreError as error:
        raise CliError(str(error)) from None
    daemon = after_change(cli)
    return cli.emit({"order": listed, "daemon": daemon}, "footswitch order: " + ", ".join(listed) + ", then the rest by name")
