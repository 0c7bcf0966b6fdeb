"""A rig in one file, to carry to another pedal: the rig, the captures it plays and its cabinet.

    >>> data = write_bundle(rig, {"TS9": ("TS9.json", ts9_bytes)}, ("v30 4x12", wav_bytes))
    >>> bundle = read_bundle(data, "crunch.pedalrig")      # BundleError: "crunch.pedalrig: ...: why"
    >>> bundle.rig, bundle.captures["TS9"], bundle.cabinet

A bundle is a ZIP archive (``.pedalrig``) of:

    manifest.json      {"format": "pedal-rig", "version": 1, "rig": "crunch",
                        "captures": [{"name": "TS9", "file": "captures/TS9.json", "sha256": "..."}],
                        "cabinet": {"name": "v30 4x12", "file": "cabinet/v30 4x12.wav", "sha256": "..."}}
    rig.toml           the rig (pedal.rigs), naming its captures and cabinet as the manifest does
    captures/...       each capture's file, byte for byte as it was uploaded
    cabinet/NAME.wav   the impulse response, if the rig has one

Reading trusts nothing: the archive's size, each entry's size before it is read (no zip bombs),
only the entries the manifest names (no paths of its own choosing), every SHA-256, and the rig
naming exactly the captures and cabinet carried.
"""

from __future__ import annotations

import hashlib
import io
import json
import zipfile
from dataclasses import dataclass

from pedal import rigs
from pedal.rigs import Rig, RigError

__all__ = ["BUNDLE_SUFFIX", "Bundle", "BundleError", "read_bundle", "write_bundle"]

BUNDLE_SUFFIX = ".pedalrig"
FORMAT, VERSION = "pedal-rig", 1
MANIFEST, RIG_FILE = "manifest.json", "rig.toml"


class BundleError(ValueError):
    """A bundle that cannot be imported; the message names the file, the entry and why."""


@dataclass
class Bundle:
    rig: Rig
    captures: dict[str, tuple[str, bytes]]        # name -> (file name, bytes)
    cabinet: tuple[str, bytes] | None             # (name, WAV bytes)


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def write_bundle(rig: Rig, captures: dict[str, tuple[str, bytes]], cabinet: tuple[str, bytes] | None) -> bytes:
    """The bundle of ``rig`` with ``captures`` (each capture's name -> its file name and bytes)
    and ``cabinet`` (its name and WAV bytes, or None)."""
    manifest = {"format": FORMAT, "version": VERSION, "rig": rig.name, "captures": [], "cabinet": None}
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_STORED) as archive:
        for name, (file_name, data) in captures.items():
            entry = f"captures/{file_name}"
            archive.writestr(entry, data)
            manifest["captures"].append({"name": name, "file": entry, "sha256": _sha(data)})
        if cabinet is not None:
            entry = f"cabinet/{cabinet[0]}.wav"
            archive.writestr(entry, cabinet[1])
            manifest["cabinet"] = {"name": cabinet[0], "file": entry, "sha256": _sha(cabinet[1])}
        archive.writestr(RIG_FILE, rigs.format_rig(rig))
        archive.writestr(MANIFEST, json.dumps(manifest, indent=1))
    return buffer.getvalue()


def read_bundle(data: bytes, source: str, max_entry_bytes: int, name: str | None = None) -> Bundle:
    """The bundle in ``data`` (``source`` names it in errors), every entry at most
    ``max_entry_bytes``; ``name`` renames the rig."""
    def fail(where: str, why: str) -> BundleError:
        return BundleError(f"{source}: {where}: {why}" if where else f"{source}: {why}")

    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, ValueError) as error:
        raise fail("", f"not a rig bundle (a {BUNDLE_SUFFIX} file from `pedalctl rig export`): {error}") from None
    with archive:
        entries = {info.filename: info for info in archive.infolist()}

        def read(entry: str, what: str) -> bytes:
            info = entries.get(entry)
            if info is None:
                raise fail(entry, f"missing ({what})")
            if info.file_size > max_entry_bytes:
                raise fail(entry, f"{info.file_size / 2**20:.1f} MiB; the limit is {max_entry_bytes / 2**20:g} MiB")
            try:
                return archive.read(info)
            except (zipfile.BadZipFile, OSError, ValueError, NotImplementedError) as error:
                raise fail(entry, f"unreadable ({error})") from None

        try:
            manifest = json.loads(read(MANIFEST, "what the bundle holds").decode("utf-8"))
        except (UnicodeDecodeError, ValueError) as error:
            raise fail(MANIFEST, f"not JSON ({error})") from None
        if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
            raise fail(MANIFEST, f"not a {FORMAT} manifest")
        if manifest.get("version") != VERSION:
            raise fail(MANIFEST, f"version {manifest.get('version')!r}; this pedal reads version {VERSION}")

        def carried(item, where: str) -> tuple[str, bytes]:
            if not (isinstance(item, dict) and isinstance(item.get("name"), str) and isinstance(item.get("file"), str)
                    and isinstance(item.get("sha256"), str)):
                raise fail(f"{MANIFEST} {where}", "expected name, file and sha256")
            body = read(item["file"], where)
            if _sha(body) != item["sha256"]:
                raise fail(item["file"], "its SHA-256 is not the manifest's: the bundle is damaged")
            return item["name"], body

        listed = manifest.get("captures")
        if not isinstance(listed, list) or not listed:
            raise fail(f"{MANIFEST} captures", "expected a list of the captures carried")
        captures = {}
        for n, item in enumerate(listed, 1):
            capture_name, body = carried(item, f"captures[{n}]")
            captures[capture_name] = (item["file"].rsplit("/", 1)[-1], body)
        cabinet = None if manifest.get("cabinet") is None else carried(manifest["cabinet"], "cabinet")
        try:
            text = read(RIG_FILE, "the rig").decode("utf-8")
            rig = rigs.parse_rig(text, f"{source}: {RIG_FILE}", name or str(manifest.get("rig") or "imported"))
        except UnicodeDecodeError:
            raise fail(RIG_FILE, "not UTF-8 text") from None
        except RigError as error:
            raise BundleError(str(error)) from None
    for n, capture in enumerate(rig.captures, 1):
        if capture.model not in captures:
            raise fail(f"{RIG_FILE}: capture[{n}].model", f"{capture.model!r} is not carried in the bundle")
    if rig.sound.ir is not None and (cabinet is None or cabinet[0] != rig.sound.ir):
        raise fail(f"{RIG_FILE}: cabinet", f"{rig.sound.ir!r} is not carried in the bundle")
    return Bundle(rig, captures, cabinet)
