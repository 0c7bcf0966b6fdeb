"""Rig files: a whole sound as TOML a guitarist can edit, checked key by key, stored like a model."""

import math

import numpy as np
import pytest

from pedal.core import Model
from pedal.rigs import (MAX_CAPTURES, Rig, RigCapture, RigError, apply_sound, check_references, format_rig, parse_rig,
                        rig_of_one)
from pedal.rigs import store as rig_store
from pedal.state import EqSettings, GateSettings, SoundSettings, State
from pedal.signals import guitar_like
from pedal.store import ModelStore
from tests.support.paths import ROOT, shared_model

GOLDEN = ROOT / "csrc" / "tests" / "golden"

CRUNCH = """\
# crunch: a drive into an amp into a 4x12
input_level_db = 0.0
output_level_db = -2.0
cabinet = "v30 4x12"

[[capture]]
model = "TS9"
input_gain_db = 6.0
knobs = { drive = 0.7 }
size = 0.5

[[capture]]
model = "Blues Junior"

[eq]
bass_db = 2.0

[gate]
on = true
threshold_db = -60.0
"""


def test_a_rig_file_holds_its_chain_levels_cabinet_eq_and_gate():
    rig = parse_rig(CRUNCH, "crunch.toml")
    assert rig == Rig(
        name="crunch",
        captures=(RigCapture("TS9", input_gain_db=6.0, knobs={"drive": 0.7}, size=0.5), RigCapture("Blues Junior")),
        sound=SoundSettings(eq=EqSettings(bass_db=2.0), gate=GateSettings(threshold_db=-60.0, on=True),
                            ir="v30 4x12"),
        input_level_db=0.0, output_level_db=-2.0)


def test_a_rig_written_out_reads_back_the_same_and_says_what_it_is():
    rig = parse_rig(CRUNCH, "crunch.toml")
    text = format_rig(rig)
    assert parse_rig(text, "crunch.toml") == rig
    assert text.startswith("# crunch: TS9 -> Blues Junior -> v30 4x12\n")
    odd = Rig(name='odd "name"', captures=(RigCapture('a "quoted" \\ model', knobs={"tone knob": -1e-7}),),
              output_level_db=-0.1)
    assert parse_rig(format_rig(odd), "x.toml", name=odd.name) == odd


def test_only_the_model_of_each_capture_is_required():
    rig = parse_rig('[[capture]]\nmodel = "Plexi"\n', "plexi.toml")
    assert rig == Rig(name="plexi", captures=(RigCapture("Plexi"),))
    assert rig.sound == SoundSettings() and rig.sound.ir is None


@pytest.mark.parametrize("text, error", [
    ("", "empty.toml: capture: a rig needs 1 to 4 [[capture]] tables; it has none"),
    ("capture = 3\n", "empty.toml: capture: expected [[capture]] tables"),
    ('[[capture]]\nmodel = "a"\n' * 5, "empty.toml: capture: a rig holds 1 to 4 captures; it has 5"),
    ("[[capture]]\ninput_gain_db = 1.0\n", "empty.toml: capture[1].model: missing"),
    ('[[capture]]\nmodel = ""\n', "empty.toml: capture[1].model: empty"),
    ('[[capture]]\nmodel = "a"\ninput_gain_db = 90\n',
     "empty.toml: capture[1].input_gain_db: 90 is outside -40..40 dB"),
    ('[[capture]]\nmodel = "a"\n[[capture]]\nmodel = "b"\nsize = 2\n',
     "empty.toml: capture[2].size: 2 is outside 0..1"),
    ('[[capture]]\nmodel = "a"\nknobs = { gain = nan }\n',
     "empty.toml: capture[1].knobs.gain: nan is not a finite"),
    ('[[capture]]\nmodel = "a"\nknobs = 3\n', "empty.toml: capture[1].knobs: expected a table of name = value"),
    ('[[capture]]\nmodel = "a"\ndrive = 1\n', "empty.toml: capture[1].drive: unknown key"),
    ('reverb = 1\n[[capture]]\nmodel = "a"\n', "empty.toml: reverb: unknown key (known: cabinet, capture, eq, gate, "),
    ('output_level_db = "loud"\n[[capture]]\nmodel = "a"\n',
     "empty.toml: output_level_db: expected a number, got text"),
    ('output_level_db = true\n[[capture]]\nmodel = "a"\n', "empty.toml: output_level_db: expected a number, got true"),
    ('[[capture]]\nmodel = "a"\n[eq]\nbass_db = 20\n', "empty.toml: eq.bass_db: 20 is outside -15..15 dB"),
    ('[[capture]]\nmodel = "a"\n[eq]\nwidth = 1\n', "empty.toml: eq.width: unknown key"),
    ('[[capture]]\nmodel = "a"\n[gate]\non = "yes"\n', "empty.toml: gate.on: expected true or false, got text"),
    ('[[capture]]\nmodel = 7\n', "empty.toml: capture[1].model: expected a name in quotes, got a number"),
    ("[[capture]\n", "empty.toml: not valid TOML"),
])
def test_a_bad_rig_is_refused_with_the_file_the_key_and_the_reason(text, error):
    with pytest.raises(RigError) as caught:
        parse_rig(text, "empty.toml")
    assert str(caught.value).startswith(error)
    assert "\n" not in str(caught.value)


def test_a_rig_may_name_only_models_and_a_cabinet_the_library_holds(tmp_path):
    models = ModelStore(tmp_path / "models")
    irs = ModelStore(tmp_path / "irs", extensions=(".wav",), what="impulse response")
    models.install("TS9", b"{}", ".json")
    irs.install("v30 4x12", b"RIFF", ".wav")
    rig = parse_rig(CRUNCH, "crunch.toml")
    with pytest.raises(RigError, match=r"crunch.toml: capture\[2\].model: no model called 'Blues Junior' in "):
        check_references(rig, models, irs)
    models.install("blues junior", b"{}", ".json")  # names match without regard to case
    check_references(rig, models, irs)
    with pytest.raises(RigError, match="crunch.toml: cabinet: no impulse response called 'v30 4x12'"):
        check_references(rig, models, None)


def test_a_bare_capture_is_a_rig_of_one_with_the_pedals_levels_and_sound():
    state = State(model="Plexi", input_gain_db=3.0, output_level_db=-4.0,
                  sound=SoundSettings(eq=EqSettings(treble_db=-2.0), ir="greenback"))
    rig = rig_of_one("Plexi", state)
    assert rig.captures == (RigCapture("Plexi"),) and rig.sound == state.sound
    assert (rig.input_level_db, rig.output_level_db) == (3.0, -4.0)
    assert parse_rig(format_rig(rig), "Plexi.toml") == rig


def test_rigs_are_stored_crash_safely_as_models_are(tmp_path):
    rigs = rig_store(tmp_path / "rigs")
    text = format_rig(parse_rig(CRUNCH, "crunch.toml"))
    path = rigs.install("crunch", text.encode(), ".toml")
    assert path.read_text() == text and rigs.find("CRUNCH") == path
    assert not [p for p in path.parent.iterdir() if p.name.startswith(".tmp")]
    with pytest.raises(ValueError, match="a rig called 'crunch' is already there"):
        rigs.install("Crunch", text.encode(), ".toml")
    with pytest.raises(ValueError, match="the rig is 0.1 MiB; the limit is"):
        rigs.install("huge", b"#" * (100 << 10), ".toml")
    assert MAX_CAPTURES == 4 and math.isfinite(parse_rig(text, "crunch.toml").output_level_db)


# --- playing a rig offline (pedal.render.chain_of, pedal.levels.chain_gains_db) ------------------

def _reference_loudness(engine):
    """RMS dBFS the engine plays the reference guitar signal at (the chain's DSP blocks out)."""
    from pedal import levels, render
    from pedal.signals import guitar_like
    for block in ("dc_blocker", "limiter"):
        engine.set_block(block, False)
    wet = render.play(engine, guitar_like(levels.REFERENCE_SECONDS, rate=48000, seed=4), 64)
    return 20 * np.log10(np.sqrt(np.mean(np.square(wet[len(wet) // 10:], dtype=np.float64))))


def test_a_rig_of_one_plays_exactly_as_its_capture_alone_does():
    from pedal import render
    data = (GOLDEN / "pedalnet_c4_d4_k3.model.json").read_bytes()
    alone, _ = render.chain(data, 48000, 64)
    rig = render.chain_of([Model.from_json(data)], [0.0], 48000, 64)
    dry = guitar_like(0.5, rate=48000, seed=9)
    assert np.array_equal(render.play(rig, dry, 64), render.play(alone, dry, 64))


def test_a_rig_of_captures_in_series_lands_at_the_loudness_one_capture_does():
    from pedal import levels, render
    drive, amp = (shared_model(name) for name in ("NeuralPi/TS9.json", "NeuralPi/BluesJR_FullD.json"))
    single = _reference_loudness(render.chain(amp.read_bytes(), 48000, 64)[0])
    rig = _reference_loudness(render.chain_of([Model.load(drive), Model.load(amp)], [6.0, 0.0], 48000, 64))
    assert single == pytest.approx(levels.TARGET_LOUDNESS_DB, abs=1.0)
    assert rig == pytest.approx(single, abs=1.0)  # within the rate bridges' and the chain's small effects


def test_a_rigs_levels_eq_and_gate_go_into_the_engine():
    from pedal.core import Engine
    engine = Engine(48000, 64)
    apply_sound(engine, parse_rig(CRUNCH, "crunch.toml"))
    dry = guitar_like(0.3, rate=48000, seed=3)
    plain = Engine(48000, 64)
    plain.set_output_level(-2.0)
    plain.set_eq(bass_db=2.0)
    plain.set_gate(threshold_db=-60.0, on=True)
    assert np.array_equal(engine.process(dry), plain.process(dry))


def test_a_setting_a_rig_leaves_out_is_the_engines_default_not_the_rig_before():
    from pedal.core import Engine
    engine, fresh = Engine(48000, 64), Engine(48000, 64)
    apply_sound(engine, parse_rig(CRUNCH, "crunch.toml"))
    apply_sound(engine, parse_rig('[[capture]]\nmodel = "amp"\n', "bare.toml"))
    silence = np.zeros(48000 // 2, np.float32)   # the EQ's gains glide back over 20 ms
    engine.process(silence), fresh.process(silence)
    dry = guitar_like(0.3, rate=48000, seed=3)
    assert np.array_equal(engine.process(dry), fresh.process(dry))
