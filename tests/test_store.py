"""pedal.store: names, limits, no silent overwrite, and the sidecar loudness pedald trusts."""

import hashlib
import json
import os

import pytest

from pedal.files import TEMPORARY_PREFIX
from pedal.library import DEFAULT_MODEL, ModelLibrary
from pedal.store import MAX_NAME, ModelStore, StoreError, clean_leftovers, locked, sanitise_name, stored_metadata

DATA = DEFAULT_MODEL.read_bytes()


@pytest.fixture
def store(tmp_path):
    return ModelStore(tmp_path / "models", max_bytes=256 * 1024)


@pytest.mark.parametrize("given, stored", [
    ("plexi", "plexi"),
    ("  Plexi 1968  ", "Plexi 1968"),           # outer spaces go
    ("Plexi\u0301", "Plex\u00ed"),              # i + combining acute -> one character (NFC)
    ("Ts9 (Ibanez) · warm", "Ts9 (Ibanez) · warm"),
    ("x" * MAX_NAME, "x" * MAX_NAME),
])
def test_names_are_normalised_and_kept_readable(given, stored):
    assert sanitise_name(given) == stored


@pytest.mark.parametrize("name, reason", [
    ("", "empty"),
    ("   ", "empty"),
    ("../etc/passwd", "path separator ('/')"),
    ("amps\\plexi", "path separator ('\\\\')"),
    (".hidden", "starts with a dot"),
    ("tab\there", "control or unassigned character (U+0009)"),
    ("nul\x00", "control or unassigned character (U+0000)"),
    ("x" * (MAX_NAME + 1), f"is {MAX_NAME + 1} characters long; at most {MAX_NAME}"),
    ("order", "reserved"),
])
def test_bad_names_are_refused_with_the_reason(name, reason):
    with pytest.raises(StoreError) as refused:
        sanitise_name(name)
    assert reason in str(refused.value)
    assert "\n" not in str(refused.value)


def test_a_model_is_installed_with_its_sidecar_and_the_library_sees_only_the_model(store):
    path = store.install("Plexi", DATA, ".json", metadata={"loudness_db": -14.5})
    assert path.read_bytes() == DATA and path.name == "Plexi.json"
    assert oct(path.stat().st_mode & 0o777) == oct(0o664)
    meta = stored_metadata(path, DATA)
    assert meta["loudness_db"] == -14.5 and meta["sha256"] == hashlib.sha256(DATA).hexdigest()
    assert [e.name for e in ModelLibrary(store.directory, default_model=None).scan()] == ["Plexi"]


def test_the_sidecar_is_ignored_for_other_bytes(store):
    path = store.install("plexi", DATA, ".json", metadata={"loudness_db": -14.5})
    path.write_bytes(DATA + b" ")    # changed behind the store's back
    assert stored_metadata(path, path.read_bytes()) is None


def test_duplicates_are_refused_without_regard_to_case_unless_replaced(store):
    store.install("Plexi", DATA, ".json")
    for other in ("plexi", "PLEXI", " Plexi "):
        with pytest.raises(StoreError, match="already there.*--replace"):
            store.install(other, DATA, ".json")
    replaced = store.install("plexi", DATA + b"\n", ".nam", replace=True)
    assert sorted(p.name for p in store.directory.iterdir() if not p.name.startswith(".")) == ["plexi.nam"]
    assert replaced.read_bytes() == DATA + b"\n"


def test_size_limit_and_extensions_are_checked(store):
    with pytest.raises(StoreError, match=r"is 0.3 MiB; the limit is 0.25 MiB \(\[library\] max_model_mb"):
        store.install("big", b"x" * 300_000, ".json")
    with pytest.raises(StoreError, match="is empty"):
        store.install("empty", b"", ".json")
    with pytest.raises(StoreError, match=r"ends in .json, .nam, .aidax, not '.py'"):
        store.install("code", DATA, ".py")
    assert not store.directory.exists() or not any(store.directory.glob("*.py"))


def test_remove_rename_and_order(store):
    for name in ("clean", "crunch", "lead"):
        store.install(name, DATA, ".json", metadata={"loudness_db": -20.0})
    store.set_order(["lead", "CLEAN"])
    assert store.order() == ["lead", "clean"]
    renamed = store.rename("lead", "Solo")
    assert renamed.name == "Solo.json" and stored_metadata(renamed, DATA)["loudness_db"] == -20.0
    assert store.order() == ["Solo", "clean"]           # order.txt follows the rename
    with pytest.raises(StoreError, match="already there"):
        store.rename("Solo", "CRUNCH")
    store.remove("crunch")
    assert sorted(store.files()) == ["Solo", "clean"]
    assert not any(p.name.endswith(".meta.json") and "crunch" in p.name for p in store.directory.iterdir())
    with pytest.raises(StoreError, match=r"no model called 'crunch' in .* \(models: Solo, clean\)"):
        store.remove("crunch")
    with pytest.raises(StoreError, match="listed twice"):
        store.set_order(["clean", "CLEAN"])


def test_leftovers_are_cleaned_but_not_while_an_upload_writes(store):
    store.install("clean", DATA, ".json")
    leftover = store.directory / f"{TEMPORARY_PREFIX}killed"
    leftover.write_bytes(DATA[:100])
    with locked(store.directory):           # an upload is writing right now
        assert clean_leftovers(store.directory) == 0
    assert leftover.exists()
    assert clean_leftovers(store.directory) == 1 and not leftover.exists()


def test_installing_writes_nothing_outside_the_directory(store, tmp_path):
    store.install("a", DATA, ".json")
    assert sorted(os.listdir(tmp_path)) == ["models"]
    assert json.loads((store.directory / ".a.json.meta.json").read_text())["file"] == "a.json"
