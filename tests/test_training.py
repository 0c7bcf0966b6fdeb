"""The trainer (tools/train.py, pedal.training): what it exports plays in our
core exactly as it trained, it learns, it checkpoints and resumes, it stops on
time with the best state, and it refuses bad recordings in one line.

Runs are tiny (a 4-channel network, a few seconds of audio, a few batches) so
the whole file takes seconds; tools/train_default_model.py is the long run."""

import importlib.util
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from pedal import wavfile
from pedal.core import Model
from pedal.signals import guitar_like
from pedal.training.overdrive import overdrive
from pedal.training.pair import PairError, load_pair

ROOT = Path(__file__).resolve().parent.parent
RATE = 44100


def train_main(argv):
    """tools/train.py's main, run in this process (no second PyTorch start-up)."""
    spec = importlib.util.spec_from_file_location("train_tool", ROOT / "tools" / "train.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.main(argv)


@pytest.fixture(scope="module")
def recording(tmp_path_factory):
    """4 s of guitar into the synthetic overdrive, as the WAV pair a guitarist records."""
    directory = tmp_path_factory.mktemp("recording")
    dry = guitar_like(4.0, rate=RATE, seed=3)
    wavfile.write(directory / "in.wav", dry, RATE, float32=True)
    wavfile.write(directory / "target.wav", overdrive(dry, RATE), RATE, float32=True)
    return directory / "in.wav", directory / "target.wav"


def tiny(trainer, **overrides):
    settings = dict(channels=4, dilation_depth=5, repeat=1, kernel=3, epochs=3, batch_size=4, segment=2048,
                    steps_per_epoch=4, learning_rate=1e-2, seed=1)
    settings.update(overrides)
    return trainer.Settings(**settings)


def test_the_exported_model_plays_in_the_core_as_the_trainer_computes_it(torch_training, recording, tmp_path):
    result = torch_training.Trainer(tiny(torch_training, epochs=2), load_pair(*recording), log=lambda line: None).run()
    torch_training.export_json(result, tmp_path / "capture.json")
    dry = guitar_like(1.0, rate=RATE, seed=9)
    ours = Model.load(tmp_path / "capture.json").process(dry)
    # Same float32 weights, same maths; only the order of the sums differs (1e-7 typical).
    assert np.max(np.abs(ours - result.net.play(dry))) <= 1e-5


def test_a_short_run_learns_the_overdrive(torch_training, recording):
    log = []
    settings = tiny(torch_training, channels=8, dilation_depth=6, epochs=10, steps_per_epoch=8)
    result = torch_training.Trainer(settings, load_pair(*recording), log=log.append).run()
    # An untrained network is ESR ~1; these 80 small batches (about a second)
    # reach 0.015 with this seed: 0.1 leaves room for another machine's rounding.
    assert result.history[0].validation_esr > result.best_esr
    assert result.best_esr < 0.1, log
    assert any(line.startswith("epoch   10") for line in log)


def test_the_time_limit_stops_the_run_keeping_the_best_validation_state(torch_training, recording):
    trainer = torch_training.Trainer(tiny(torch_training, epochs=1000, time_limit=1.0), load_pair(*recording),
                                     log=lambda line: None)
    result = trainer.run()
    assert result.stopped_by == "time limit" and len(result.history) < 1000
    assert result.best_esr == min(epoch.validation_esr for epoch in result.history)
    assert result.best_esr == pytest.approx(trainer.validate(result.net), rel=1e-6)


def test_a_run_resumes_from_its_checkpoint(torch_training, recording, tmp_path):
    checkpoint = tmp_path / "capture.ckpt"
    pair = load_pair(*recording)
    first = torch_training.Trainer(tiny(torch_training, epochs=2), pair, checkpoint, log=lambda line: None).run()
    log = []
    second = torch_training.Trainer(tiny(torch_training, epochs=3), pair, checkpoint, resume=True, log=log.append).run()
    assert [e.number for e in second.history] == [1, 2, 3]
    assert [e.validation_esr for e in second.history[:2]] == [e.validation_esr for e in first.history]
    assert any("resuming after epoch 2" in line for line in log)
    with pytest.raises(torch_training.CheckpointError, match="--channels"):
        torch_training.Trainer(tiny(torch_training, channels=6), pair, checkpoint, resume=True)


def test_the_command_line_trains_and_writes_a_pedalnet_json(torch_training, recording, tmp_path):
    output = tmp_path / "capture.json"
    done = subprocess.run([sys.executable, str(ROOT / "tools" / "train.py"), *map(str, recording), "-o", str(output),
                           "--epochs", "2", "--channels", "4", "--dilation-depth", "4", "--batch-size", "2",
                           "--segment", "1024"], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert "epoch    2" in done.stdout and "wrote" in done.stdout
    document = json.loads(output.read_text())
    assert document["residual_channels"] == 4 and document["dilations"] == [1, 2, 4, 8]
    assert Model.load(output).info["format"] == "pedalnet"
    assert (tmp_path / "capture.json.ckpt").exists()


def test_the_command_line_refuses_a_rate_pedalnet_json_cannot_play(torch_training, tmp_path, capsys):
    dry = guitar_like(2.0, rate=48000)
    wavfile.write(tmp_path / "in.wav", dry, 48000)
    wavfile.write(tmp_path / "target.wav", dry, 48000)
    code = train_main([str(tmp_path / "in.wav"), str(tmp_path / "target.wav"), "-o", str(tmp_path / "m.json")])
    stderr = capsys.readouterr().err
    assert code == 2 and "PedalNetRT json plays at 44100 Hz" in stderr and len(stderr.strip().splitlines()) == 1
    assert not (tmp_path / "m.json").exists()


# --- the recording's checks need no PyTorch ------------------------------------------

def write_pair(tmp_path, dry, wet, dry_rate=RATE, wet_rate=RATE):
    wavfile.write(tmp_path / "in.wav", dry, dry_rate)
    wavfile.write(tmp_path / "target.wav", wet, wet_rate)
    return tmp_path / "in.wav", tmp_path / "target.wav"


def test_a_pair_must_share_its_rate(tmp_path):
    signal = guitar_like(0.5, rate=RATE)
    with pytest.raises(PairError, match="44100 Hz but .* 48000 Hz"):
        load_pair(*write_pair(tmp_path, signal, signal, wet_rate=48000))


def test_a_pair_must_be_the_same_length(tmp_path):
    signal = guitar_like(0.5, rate=RATE)
    with pytest.raises(PairError, match="22050 samples .* has 22000"):
        load_pair(*write_pair(tmp_path, signal, signal[:22000]))


def test_a_pair_must_be_mono(tmp_path):
    signal = guitar_like(0.5, rate=RATE)
    write_pair(tmp_path, signal, signal)
    stereo = wavfile.encode(signal, RATE)  # rewrite the header to say 2 channels of half the frames
    stereo = stereo[:22] + (2).to_bytes(2, "little") + stereo[24:]
    (tmp_path / "target.wav").write_bytes(stereo)
    with pytest.raises(PairError, match="target has 2 channels; a mono file is needed"):
        load_pair(tmp_path / "in.wav", tmp_path / "target.wav")


def test_a_silent_or_missing_file_is_named(tmp_path):
    signal = guitar_like(0.5, rate=RATE)
    with pytest.raises(PairError, match="target is silent"):
        load_pair(*write_pair(tmp_path, signal, np.zeros_like(signal)))
    with pytest.raises(PairError, match="nowhere.wav: cannot read"):
        load_pair(tmp_path / "nowhere.wav", tmp_path / "target.wav")
    (tmp_path / "text.wav").write_text("hello")
    with pytest.raises(PairError, match="not a WAV file"):
        load_pair(tmp_path / "text.wav", tmp_path / "target.wav")
