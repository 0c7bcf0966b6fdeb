"""pedal.library: which models the pedal plays, in which order."""

import logging
import shutil

import numpy as np

from pedal.core import Model
from pedal.library import DEFAULT_MODEL, ModelLibrary
from tests.support.paths import ROOT

GOLDEN = ROOT / "csrc" / "tests" / "golden"
SMALL = GOLDEN / "pedalnet_c3_d2_r2_k2.model.json"
OTHER = GOLDEN / "pedalnet_c4_d4_k3.model.json"


def put(directory, name, source=SMALL):
    shutil.copyfile(source, directory / name)


def names(library):
    return [entry.name for entry in library.scan()]


def test_models_are_ordered_by_name_without_an_order_file(tmp_path):
    for name in ("plexi.json", "Clean.json", "ts9.json"):
        put(tmp_path, name)
    assert names(ModelLibrary(tmp_path)) == ["Clean", "plexi", "ts9"]


def test_order_txt_comes_first_and_the_rest_follows_by_name(tmp_path):
    for name in ("a.json", "b.json", "c.json", "d.json"):
        put(tmp_path, name)
    (tmp_path / "order.txt").write_text("c\n\n# a comment\nmissing\nb.json\nc\n")
    assert names(ModelLibrary(tmp_path)) == ["c", "b", "a", "d"]


def test_dotfiles_leftovers_and_other_files_are_not_models(tmp_path):
    put(tmp_path, "amp.json")
    put(tmp_path, ".hidden.json")
    put(tmp_path, ".tmp-upload123")
    put(tmp_path, "notes.txt")
    (tmp_path / "folder.json").mkdir()
    assert names(ModelLibrary(tmp_path)) == ["amp"]


def test_a_file_that_does_not_load_is_skipped_with_one_line(tmp_path, caplog):
    put(tmp_path, "good.json")
    (tmp_path / "broken.json").write_text('{"activation": "gated"')
    (tmp_path / "capture.nam").write_text("not a model")
    with caplog.at_level(logging.WARNING):
        library = ModelLibrary(tmp_path)
        assert names(library) == ["good"]
    assert set(library.skipped) == {"broken.json", "capture.nam"}
    lines = [r.getMessage() for r in caplog.records]
    assert len(lines) == 2 and all("\n" not in line and "skipping" in line for line in lines)


def test_two_files_with_one_stem_keep_their_file_names(tmp_path):
    put(tmp_path, "ts9.json")
    put(tmp_path, "ts9.nam")  # the core recognises a model by its content, not its extension
    put(tmp_path, "plexi.json")
    assert names(ModelLibrary(tmp_path)) == ["plexi", "ts9.json", "ts9.nam"]


def test_an_empty_library_plays_the_bundled_default(tmp_path):
    library = ModelLibrary(tmp_path / "absent")
    assert names(library) == ["default"] and library.entries[0].default
    # Small: a trained 8-channel WaveNet, its weights as PedalNetRT's decimal strings.
    assert DEFAULT_MODEL.stat().st_size < 128_000


def test_each_load_is_a_fresh_model_from_the_kept_bytes(tmp_path):
    put(tmp_path, "amp.json", OTHER)
    entry = ModelLibrary(tmp_path).scan()[0]
    (tmp_path / "amp.json").unlink()  # the disk is not read again
    first, second = entry.load(), entry.load()
    assert first is not second
    x = np.linspace(-0.5, 0.5, 256, dtype=np.float32)
    np.testing.assert_array_equal(first.process(x), Model.load(OTHER).process(x))
    assert entry.describe()["architecture"] == "WaveNet"


def test_names_are_found_by_name_or_file_name(tmp_path):
    put(tmp_path, "a.json")
    put(tmp_path, "b.json")
    library = ModelLibrary(tmp_path)
    library.scan()
    assert library.index("b") == 1 and library.index("b.json") == 1 and library.index("zz") is None


def test_the_default_model_is_a_mild_overdrive():
    from pedal.signals import guitar_like
    model = Model.load(DEFAULT_MODEL)
    t = np.arange(48000) / 48000
    out = model.process((0.4 * np.sin(2 * np.pi * 220 * t)).astype(np.float32))[4800:28800]
    spectrum = np.abs(np.fft.rfft(out * np.hanning(len(out))))
    bin_of = lambda f: int(round(f * len(out) / 48000))  # noqa: E731
    fundamental = spectrum[bin_of(220)]
    harmonics = [spectrum[bin_of(220 * h)] / fundamental for h in (2, 3)]
    # Audible, but mild: 2nd and 3rd harmonics between -40 and -15 dB.
    assert all(10 ** (-40 / 20) < h < 10 ** (-15 / 20) for h in harmonics), harmonics
    # No DC at silence once the zero history has passed through (the engine
    # warms a model up on live input for its receptive field before it is heard).
    silence = model.process(np.zeros(4800, np.float32))[model.receptive_field:]
    assert abs(float(np.mean(silence))) < 1e-3
    assert np.all(np.isfinite(model.process(guitar_like(1.0))))
