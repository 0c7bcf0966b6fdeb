"""pedalctl upload, list, remove, rename, order: the models on the pedal.

    pedalctl upload plexi.nam --select          # validate, store, play it
    ssh pi@pedal pedalctl upload - --name plexi < plexi.nam
    pedalctl --library /media/sd/var/lib/pedal/models list

pedalctl validates a model (pedal.validate) and writes it into the models
directory itself (pedal.store: crash-safe, names checked under a lock), then
tells pedald to read the directory again; so pedald never sees half a file and
large models never travel through the control socket. With --library DIR the
same happens on DIR, without pedald.
"""

from __future__ import annotations

import time
from pathlib import Path

from pedal.cli.common import Cli, CliError, parent_options
from pedal.core import Model, ModelError
from pedal.library import EXTENSIONS, ModelLibrary
from pedal.store import ModelStore, StoreError, stored_metadata
from pedal.validate import ValidationError, validate

__all__ = ["register"]


def register(commands, parent=None) -> None:
    parent = parent or parent_options()
    register_upload(commands, parent)
    register_list(commands, parent)
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


def _extension(source: str, data: bytes) -> str:
    suffix = Path(source).suffix.lower() if source != "-" else ""
    if suffix in EXTENSIONS:
        return suffix
    try:
        return ".nam" if Model.from_json(data).info.get("format") == "nam" else ".json"
    except ModelError:
        return ".json"  # validation says what is wrong with it


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
    try:
        store.check_size(len(data))
    except StoreError as error:
        raise CliError(str(error)) from None
    rate, period = cli.rate_and_period()
    started = time.monotonic()
    try:
        report = validate(data, rate, period, cli.config.library.max_cpu_percent, args.force,
                          progress=lambda stage: cli.progress(f"validating {name}: {stage}"))
    except ValidationError as error:
        raise CliError(f"{name}: refused: {error}") from None
    finally:
        cli.progress_done()
    metadata = dict(report.as_dict(), source=Path(args.file).name if args.file != "-" else "stdin",
                    uploaded=time.strftime("%Y-%m-%dT%H:%M:%S%z"))
    try:
        path = store.install(name, data, _extension(args.file, data), replace=args.replace, metadata=metadata)
    except StoreError as error:
        raise CliError(str(error)) from None
    except OSError as error:
        raise CliError(f"cannot write into {store.directory}: {error.strerror or error}") from None
    daemon = after_change(cli, select=name if args.select else None)
    human = [f"installed {name!r} as {path} ({len(data) / 1024:.1f} KiB, validated in "
             f"{time.monotonic() - started:.1f} s)", f"  {report.summary()}"]
    if daemon is not None:
        human.append(f"  pedald: playing {daemon.get('model')}")
    return cli.emit({"name": name, "file": str(path), "bytes": len(data), "validation": report.as_dict(),
                     "daemon": daemon}, "\n".join(human))


# --- list --------------------------------------------------------------------------------------

def register_list(commands, parent) -> None:
    command = commands.add_parser("list", parents=[parent], help="the models, in footswitch order")
    command.set_defaults(run=run_list)


def _library_listing(cli: Cli) -> dict:
    library = ModelLibrary(cli.models_dir(), default_model=None)
    entries = library.scan()
    models = []
    for entry in entries:
        described = entry.describe()
        meta = stored_metadata(entry.path, entry.data) or {}
        described.update({k: meta.get(k) for k in ("loudness_db", "cpu_percent")})
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
        lines.append(f"{mark}{number:3d}  {model['name']:24}  {model.get('format') or '?':9} "
                     f"{model.get('architecture') or '?':12} {model.get('parameters') or 0:>9} params  {rate}"
                     f"{'  (bundled default)' if model.get('default') else ''}{extra}")
    if not lines:
        lines.append("no models" + (f" in {listing['directory']}" if listing.get("directory") else ""))
    for file, why in (listing.get("skipped") or {}).items():
        lines.append(f"  skipped {file}: {why}")
    return cli.emit(listing, "\n".join(lines))


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
