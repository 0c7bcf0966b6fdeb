"""pedalctl rig export NAME -o FILE and rig import FILE: a rig with the captures and cabinet it
uses, in one file (pedal.rig_bundle), to carry to another pedal.

    pedalctl rig export crunch -o crunch.pedalrig
    pedalctl rig import crunch.pedalrig [--name NAME] [--replace] [--force]

An import is checked whole before anything is written: the bundle (sizes, checksums, the rig
naming exactly what it carries), every capture validated as an upload is (parse, loudness, CPU;
the size of a NAM A2 file chosen), the cabinet as `ir upload` checks one, and the whole rig
timed on this device (pedal.rig_cost). A capture or cabinet the library already holds byte for
byte is used as it is; one whose name is taken by other bytes is stored as "NAME (RIG)", and the
rig names it so. Then everything is written in one transaction (pedal.transaction): a kill at any
moment leaves the library as it was, or with the whole rig.
"""

from __future__ import annotations

import time
from pathlib import Path

from pedal import cabinets, rigs
from pedal.cli.common import Cli, CliError
from pedal.cli.library import after_change, read_input
from pedal.cli.rigs import existing_rig, finish_imports, import_directories, ir_store, rig_cost, rig_store
from pedal.files import write_atomically
from pedal.library import EXTENSIONS
from pedal.rig_bundle import BUNDLE_SUFFIX, BundleError, read_bundle, write_bundle
from pedal.rig_cost import check_cost
from pedal.store import ModelStore, StoreError, sidecar_of
from pedal.transaction import Transaction, locked_all
from pedal.validate import ValidationError, validate
from pedal.wavfile import WavError, parse_wav

__all__ = ["register"]


def register(actions, parent) -> None:
    export = actions.add_parser("export", parents=[parent], help="a rig, its captures and cabinet in one file")
    export.add_argument("name", metavar="NAME")
    export.add_argument("-o", "--output", required=True, metavar="FILE",
                        help=f"the bundle to write ({BUNDLE_SUFFIX}); - for stdout")
    export.set_defaults(run=run_export)

    bring = actions.add_parser("import", parents=[parent], help="a rig bundle from `rig export`, checked whole")
    bring.add_argument("file", metavar="FILE", help=f"a {BUNDLE_SUFFIX} file")
    bring.add_argument("--name", help="the name the rig gets (default: its own)")
    bring.add_argument("--replace", action="store_true", help="replace a rig of that name")
    bring.add_argument("--force", action="store_true",
                       help="store it even when it costs more than max_cpu_percent of the period on this device")
    bring.set_defaults(run=run_import)


# --- export ------------------------------------------------------------------------------------

def run_export(cli: Cli) -> int:
    path, rig = existing_rig(cli, cli.args.name)
    models = ModelStore(cli.models_dir())
    captures = {}
    for n, capture in enumerate(rig.captures, 1):
        found = models.find(capture.model)
        if found is None:
            raise CliError(f"{path.name}: capture[{n}].model: no model called {capture.model!r} in {models.directory}")
        captures[capture.model] = (found.name, found.read_bytes())
    cabinet = None
    if rig.sound.ir:
        found = ir_store(cli).find(rig.sound.ir)
        if found is None:
            raise CliError(f"{path.name}: cabinet: no impulse response called {rig.sound.ir!r}")
        cabinet = (rig.sound.ir, found.read_bytes())
    data = write_bundle(rig, captures, cabinet)
    if cli.args.output == "-":   # the bundle itself on stdout (pedalctl --host writes it on the laptop)
        getattr(cli.stdout, "buffer", cli.stdout).write(data)
        cli.stdout.flush()
        return 0
    try:
        write_atomically(Path(cli.args.output), data)
    except OSError as error:
        raise CliError(f"cannot write {cli.args.output}: {error.strerror or error}") from None
    return cli.emit({"rig": rig.name, "file": cli.args.output, "bytes": len(data), "captures": list(captures),
                     "cabinet": rig.sound.ir},
                    f"wrote {cli.args.output}: rig {rig.name!r} with {len(captures)} capture(s)"
                    + (f" and cabinet {rig.sound.ir!r}" if cabinet else "") + f" ({len(data) / 1024:.1f} KiB)")


# --- import ------------------------------------------------------------------------------------

def _free_name(store: ModelStore, wanted: str, rig: str) -> str:
    """``wanted``, or "wanted (rig)", "wanted (rig 2)" ... when the library has it already."""
    for candidate in [wanted, f"{wanted} ({rig})"] + [f"{wanted} ({rig} {n})" for n in range(2, 100)]:
        try:
            return store.check_name(candidate)
        except StoreError:
            continue
    raise CliError(f"no free name for {wanted!r} in {store.directory}")


def run_import(cli: Cli) -> int:
    args = cli.args
    started = time.monotonic()
    max_model = int(cli.config.library.max_model_mb * 2**20)
    data = read_input(cli, args.file, 4 * max_model + max_model + (1 << 20), "rig bundle")
    source = Path(args.file).name if args.file != "-" else "stdin"
    try:
        bundle = read_bundle(data, source, max_model, args.name)
        rig_name = rig_store(cli).check_name(bundle.rig.name, args.replace)
    except (BundleError, StoreError) as error:
        raise CliError(str(error)) from None
    finish_imports(cli)
    rate, period = cli.rate_and_period()
    models, irs = ModelStore(cli.models_dir(), max_bytes=max_model), ir_store(cli)

    # Every capture: the library's own when it holds these bytes, else validated as an upload is.
    names, pending, installs = {}, {}, []
    for carried, (file_name, body) in bundle.captures.items():
        same = models.find(carried)
        if same is not None and same.read_bytes() == body:
            names[carried] = same.stem
            continue
        try:
            models.check_size(len(body), f"{source}: {file_name}")
            report = validate(body, rate, period, cli.config.library.max_cpu_percent, args.force,
                              progress=lambda stage: cli.progress(f"validating {carried}: {stage}"))
        except (StoreError, ValidationError) as error:
            raise CliError(f"{source}: {file_name}: refused: {error}") from None
        finally:
            cli.progress_done()
        name = _free_name(models, carried, rig_name)
        extension = Path(file_name).suffix.lower() if Path(file_name).suffix.lower() in EXTENSIONS else ".json"
        metadata = dict(report.as_dict(), source=f"{source}: {file_name}", uploaded=time.strftime("%Y-%m-%dT%H:%M:%S%z"))
        names[carried], pending[name] = name, (body, report.size)
        installs.append((models.directory / f"{name}{extension}", body, metadata))

    cabinet_name, cabinet_samples = None, None
    if bundle.cabinet is not None:
        carried, body = bundle.cabinet
        try:
            samples, ir_rate = parse_wav(body, f"{source}: cabinet/{carried}.wav")
            cabinets.check(carried, samples, ir_rate)
        except (WavError, cabinets.CabinetError) as error:
            raise CliError(f"{source}: {error}") from None
        same = irs.find(carried)
        if same is not None and same.read_bytes() == body:
            cabinet_name = same.stem
        else:
            cabinet_name = _free_name(irs, carried, rig_name)
            installs.append((irs.directory / f"{cabinet_name}.wav", body, None))
        cabinet_samples = (samples[:, 0], ir_rate)

    changes = {f"capture[{n}].model": names[c.model] for n, c in enumerate(bundle.rig.captures, 1)}
    if cabinet_name is not None:
        changes["cabinet"] = cabinet_name
    try:
        rig = rigs.with_values(rigs.Rig(rig_name, bundle.rig.captures, bundle.rig.sound, bundle.rig.input_level_db,
                                        bundle.rig.output_level_db), changes, f"{rig_name}.toml")
        cost = rig_cost(cli, rig, pending, cabinet_samples)
        if not args.force:
            check_cost(cost, cli.config.library.max_cpu_percent, f"{source}: {rig_name}.toml")
    except rigs.RigError as error:
        raise CliError(str(error)) from None

    target = _commit(cli, rig, installs, args.replace)
    after_change(cli)
    reused = [name for carried, name in names.items() if name not in pending]
    return cli.emit({"rig": rig.name, "file": str(target), "captures": [c.model for c in rig.captures],
                     "stored": [Path(p).stem for p, _, _ in installs], "reused": reused, "cpu": vars(cost)},
                    f"imported rig {rig.name!r}: {' -> '.join(c.model for c in rig.captures)}"
                    + (f" -> cabinet {rig.sound.ir}" if rig.sound.ir else "")
                    + f" ({len(installs)} file(s) stored, {len(reused)} already here; CPU {cost.cpu_percent:.1f} % "
                      f"of the period; {time.monotonic() - started:.1f} s)")


def _commit(cli: Cli, rig: rigs.Rig, installs: list, replace: bool) -> Path:
    """Writes the captures (each with its sidecar), the cabinet and the rig in one transaction."""
    directories = import_directories(cli)
    store = rig_store(cli)
    try:
        with locked_all(directories):
            name = store.check_name(rig.name, replace)   # again, under the lock
            for path, body, _ in installs:
                if ModelStore(path.parent, extensions=(path.suffix.lower(),)).find(path.stem) is not None:
                    raise CliError(f"{path.name} appeared in {path.parent} meanwhile; import again")
            transaction = Transaction(store.directory)
            try:
                for path, body, metadata in installs:
                    if metadata is not None:   # a capture's sidecar first, as an upload writes them
                        transaction.add(*sidecar_of(path, body, metadata))
                    transaction.add(path, body)
                old = store.find(name)
                target = store.directory / f"{name}.toml"
                transaction.add(target, rigs.format_rig(rig).encode())
                transaction.commit()
            except BaseException:
                transaction.abort()
                raise
            if old is not None and old != target:   # replaced under another case
                old.unlink(missing_ok=True)
            return target
    except (StoreError, OSError) as error:
        raise CliError(f"cannot store rig {rig.name!r}: {getattr(error, 'strerror', None) or error}") from None
