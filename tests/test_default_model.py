"""The bundled default model (pedal/data/default.model.json), what the pedal
plays on first boot: trained by tools/train_default_model.py on the synthetic
overdrive of pedal.training.overdrive. Checked here with numpy and our core
only, so it holds without PyTorch."""

import json

import numpy as np

from pedal.compare import play
from pedal.core import Model
from pedal.library import DEFAULT_MODEL
from pedal.metrics import esr
from pedal.signals import DI_CLIP_RATE, di_clip
from pedal.training import overdrive


def test_it_plays_the_synthetic_overdrive_on_phrases_it_never_heard():
    dry = overdrive.held_out_audio()
    played = Model.load(DEFAULT_MODEL).process(dry)
    # The bar: ESR <= 0.02 on held-out audio (the model measured 0.004 when trained).
    assert esr(overdrive.overdrive(dry, overdrive.RATE), played) <= 0.02


def test_it_plays_the_di_clip_like_the_overdrive_at_the_pedals_rate():
    # The clip is 48 kHz: the model (44.1 kHz) hears it resampled, the chain runs at 48 kHz.
    dry = di_clip()
    assert esr(overdrive.overdrive(dry, DI_CLIP_RATE), play(DEFAULT_MODEL.read_bytes(), dry, DI_CLIP_RATE)[0]) <= 0.03


def test_it_is_a_small_pedalnet_wavenet_that_a_pi_4_runs_easily():
    info = Model.load(DEFAULT_MODEL).info
    assert info["format"] == "pedalnet" and info["sample_rate"] == 44100
    assert info["config"]["channels"] <= 16 and info["parameters"] < 20000


def test_it_says_how_it_was_trained():
    training = json.loads(DEFAULT_MODEL.read_text())["training"]
    assert training["trainer"] == "pedal tools/train.py" and training["validation_esr"] <= 0.02


def test_silence_stays_silent():
    out = Model.load(DEFAULT_MODEL).process(np.zeros(44100, np.float32))
    assert np.max(np.abs(out[2048:])) < 2e-3  # no audible DC or hum at rest (-54 dBFS)
