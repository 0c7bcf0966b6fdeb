"""Judge a capture: play IN.wav through a model and compare with TARGET.wav.

    python -m pedal.compare MODEL IN.wav TARGET.wav [--plot out.png] [--json]
    (pedalctl compare ... runs the same main)

Prints the error-to-signal ratio (ESR: 0 is perfect, below 0.01 is hard to tell
apart, above 0.1 is audibly different), the same with the treble-weighted
pre-emphasis the trainer uses, the level difference, and the alignment: the lag
between the model's output and the target found by cross-correlation, and the
ESR once that lag is taken out (a capture recorded through an interface often
carries its latency). ``--plot`` draws what a person wants to see: the whole
take, a zoom on the loudest attack with target and model overlaid, and the
spectra of both (needs matplotlib: the optional [plot] extra).

The model plays through the pedal's own engine (pedal.render), alone: a model trained
at another rate than the WAVs (PedalNetRT json is 44.1 kHz) is bridged to their rate
exactly as the pedal bridges it, so compare and `pedalctl render` agree.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import math
import sys
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from pedal import render
from pedal.metrics import esr, find_lag, pre_emphasis, shift
from pedal.wavfile import WavError, read_mono

MAX_LAG_SECONDS = 0.1
BLOCK = 64   # frames per engine call (any block size gives the same samples)


@dataclass
class Comparison:
    model: str
    sample_rate: int
    model_rate: float
    seconds: float
    esr: float                  # after alignment
    esr_unaligned: float
    esr_pre_emphasis: float     # after alignment, pre-emphasis 0.85
    lag_samples: int            # > 0: the model's output comes late
    lag_ms: float
    level_difference_db: float  # model RMS over target RMS
    size: float | None = None   # the size played, for a model with submodels (NAM A2)


def play(data: bytes, dry: np.ndarray, rate: int, size: float | None = None) -> tuple[np.ndarray, dict]:
    """(the model's output for ``dry`` at ``rate``, its info): the model alone through the pedal's
    engine (pedal.render, bare: unity gain, nothing else in the chain), its rate bridged to ``rate``
    as the pedal bridges it, aligned with ``dry``."""
    engine, info = render.chain(data, rate, BLOCK, size=size, bare=True)
    return render.play(engine, dry, BLOCK), info


def level_db(x: np.ndarray) -> float:
    rms = float(np.sqrt(np.mean(np.square(x, dtype=np.float64))))
    return 20.0 * math.log10(rms) if rms > 0 else -math.inf


def compare(model_path: Path, dry: np.ndarray, target: np.ndarray, rate: int, size: float | None = None):
    """(Comparison, the model's output aligned to the target); ``size`` picks the submodel of a
    model that has them (default 1: the largest)."""
    output, info = play(Path(model_path).read_bytes(), dry, rate, size)
    lag = find_lag(target, output, max_lag=min(len(target) - 1, int(MAX_LAG_SECONDS * rate)))
    aligned = shift(output, lag)
    result = Comparison(
        model=str(model_path), sample_rate=rate, model_rate=float(info["sample_rate"]), seconds=len(dry) / rate,
        esr=esr(target, aligned), esr_unaligned=esr(target, output),
        esr_pre_emphasis=esr(pre_emphasis(target), pre_emphasis(aligned)),
        lag_samples=lag, lag_ms=1000.0 * lag / rate, level_difference_db=level_db(aligned) - level_db(target),
        size=(1.0 if size is None else size) if info.get("submodels") else None)
    return result, aligned


def report(c: Comparison) -> str:
    when = "late" if c.lag_samples > 0 else "early"
    alignment = ("aligned (lag 0)" if c.lag_samples == 0 else
                 f"model output {abs(c.lag_samples)} samples ({abs(c.lag_ms):.2f} ms) {when}; "
                 f"ESR {c.esr_unaligned:.4f} before taking that out")
    lines = [f"model     {c.model}" + (f" at size {c.size:g}" if c.size is not None else "") + (f" (plays at {c.model_rate:g} Hz; resampled from {c.sample_rate} Hz)"
                                       if abs(c.model_rate - c.sample_rate) >= 0.5 else ""),
             f"audio     {c.seconds:.2f} s at {c.sample_rate} Hz",
             f"ESR       {c.esr:.4f}   (pre-emphasised {c.esr_pre_emphasis:.4f})",
             f"level     {c.level_difference_db:+.2f} dB (model vs target)",
             f"alignment {alignment}"]
    return "\n".join(lines)


# --- the picture ----------------------------------------------------------------

def band_spectrum(x: np.ndarray, rate: int, size: int = 8192) -> tuple[np.ndarray, np.ndarray]:
    """Long-term average spectrum in dB (Hann frames, half overlap), smoothed to
    1/12 octave so two curves can be read on top of each other."""
    x = np.asarray(x, dtype=np.float64)
    if len(x) < size:
        x = np.concatenate([x, np.zeros(size - len(x))])
    window = np.hanning(size)
    frames = [x[s:s + size] * window for s in range(0, len(x) - size + 1, size // 2)]
    power = np.mean(np.abs(np.fft.rfft(frames, axis=1)) ** 2, axis=0)
    freqs = np.fft.rfftfreq(size, 1.0 / rate)
    centres = 20.0 * 2.0 ** (np.arange(0, 12 * math.log2(min(20000.0, rate / 2) / 20.0)) / 12.0)
    smoothed = []
    for f in centres:
        band = (freqs >= f * 2 ** (-1 / 24)) & (freqs < f * 2 ** (1 / 24))
        smoothed.append(np.mean(power[band]) if np.any(band) else np.interp(f, freqs, power))
    return centres, 10.0 * np.log10(np.asarray(smoothed) / (size * np.sum(window ** 2) / 2) + 1e-20)


def loudest_attack(target: np.ndarray, rate: int, width: int) -> int:
    """Start of a zoom window around the biggest rise in level: where a capture's
    transient behaviour shows."""
    hop = max(1, rate // 200)
    frames = target[: len(target) // hop * hop].reshape(-1, hop)
    level = np.sqrt(np.mean(np.square(frames, dtype=np.float64), axis=1)) + 1e-9
    rise = np.argmax(level[1:] / level[:-1] * (level[1:] > 0.1 * level.max())) + 1
    return int(np.clip(rise * hop - width // 4, 0, max(0, len(target) - width)))


def plot(path: Path, c: Comparison, dry: np.ndarray, target: np.ndarray, output: np.ndarray) -> None:
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    rate = c.sample_rate
    time = np.arange(len(target)) / rate
    width = int(0.03 * rate)  # 30 ms: a few cycles of a low note, the attack's shape
    start = loudest_attack(target, rate, width)
    zoom = slice(start, start + width)
    figure = plt.figure(figsize=(11, 8.5), constrained_layout=True)
    grid = figure.add_gridspec(3, 1, height_ratios=[1, 1.4, 1.6])
    figure.suptitle(f"{Path(c.model).name}: ESR {c.esr:.4f} (pre-emphasised {c.esr_pre_emphasis:.4f}), "
                    f"level {c.level_difference_db:+.2f} dB, lag {c.lag_samples} samples", fontsize=12)

    whole = figure.add_subplot(grid[0])
    whole.plot(time, target, color="tab:blue", linewidth=0.5, label="target")
    whole.plot(time, target - output, color="tab:red", linewidth=0.5, label="difference (target - model)")
    whole.axvspan(start / rate, (start + width) / rate, color="gold", alpha=0.4, label="zoom below")
    whole.set_xlim(0, time[-1])
    whole.set_xlabel("time (s)")
    whole.set_ylabel("amplitude")
    whole.set_title("the whole take", loc="left", fontsize=10)
    whole.legend(loc="upper right", fontsize=8)

    detail = figure.add_subplot(grid[1])
    milliseconds = 1000.0 * time[zoom]
    peak = max(float(np.max(np.abs(dry[zoom]))), 1e-9)
    scale = float(np.max(np.abs(target[zoom]))) / peak
    detail.plot(milliseconds, dry[zoom] * scale, color="0.7", linewidth=1.0, label=f"input (x{scale:.1f})")
    detail.plot(milliseconds, target[zoom], color="tab:blue", linewidth=1.8, label="target")
    detail.plot(milliseconds, output[zoom], color="tab:orange", linewidth=1.2, linestyle="--", label="model")
    detail.set_xlim(milliseconds[0], milliseconds[-1])
    detail.set_xlabel("time (ms)")
    detail.set_ylabel("amplitude")
    detail.set_title("zoom on the loudest attack: target and model overlaid", loc="left", fontsize=10)
    detail.legend(loc="upper right", fontsize=8)

    spectra = figure.add_subplot(grid[2])
    for signal, label, style in ((target, "target", dict(color="tab:blue", linewidth=1.8)),
                                 (output, "model", dict(color="tab:orange", linewidth=1.2, linestyle="--")),
                                 (target - output, "difference", dict(color="tab:red", linewidth=0.9))):
        freqs, db = band_spectrum(signal, rate)
        spectra.semilogx(freqs, db, label=label, **style)
    spectra.set_xlim(20, min(20000, rate / 2))
    spectra.set_xlabel("frequency (Hz)")
    spectra.set_ylabel("level (dB, 1/12 octave)")
    spectra.set_title("spectra: long-term average", loc="left", fontsize=10)
    spectra.grid(True, which="both", alpha=0.3)
    spectra.legend(loc="lower left", fontsize=8)
    figure.savefig(path, dpi=100)
    plt.close(figure)


# --- command line -----------------------------------------------------------------

def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="compare", description="Play IN.wav through MODEL and compare with TARGET.wav.")
    p.add_argument("model", type=Path, help="a model file (.json, .nam, .aidax)")
    p.add_argument("input", type=Path, help="IN.wav: the dry signal")
    p.add_argument("target", type=Path, help="TARGET.wav: what the real gear made of it")
    p.add_argument("--plot", type=Path, metavar="PNG", help="draw waveforms and spectra into this image")
    p.add_argument("--json", action="store_true", help="print the figures as one JSON object")
    p.add_argument("--size", type=float, metavar="S", help="for a model with submodels (NAM A2): the size to "
                                                            "play, 0..1 (default 1: the largest)")
    return p


def main(argv=None) -> int:
    args = parser().parse_args(argv)
    if args.plot is not None and importlib.util.find_spec("matplotlib") is None:
        print("compare: --plot needs matplotlib: pip install -e '.[plot]' (or pip install matplotlib)",
              file=sys.stderr)
        return 2
    if args.size is not None and not 0.0 <= args.size <= 1.0:
        print(f"compare: --size must be a number in 0..1, got {args.size:g}", file=sys.stderr)
        return 2
    from pedal.core import ModelError
    try:
        dry, rate = read_mono(args.input, "input")
        target, target_rate = read_mono(args.target, "target")
        if rate != target_rate:
            raise WavError(f"{args.input} is at {rate} Hz but {args.target} is at {target_rate} Hz")
        notes = []
        if len(dry) != len(target):
            notes.append(f"note: {args.input} and {args.target} differ in length "
                         f"({len(dry)} vs {len(target)} samples); comparing the first {min(len(dry), len(target))}")
            dry, target = dry[: len(target)], target[: len(dry)]
        result, aligned = compare(args.model, dry, target, rate, args.size)
    except (WavError, ModelError) as error:
        print(f"compare: {error}", file=sys.stderr)
        return 2
    except OSError as error:  # the model file: missing, unreadable
        print(f"compare: {error.filename}: cannot read ({error.strerror})", file=sys.stderr)
        return 2
    for note in notes:
        print(note, file=sys.stderr)
    print(json.dumps(asdict(result)) if args.json else report(result), flush=True)
    if args.plot is not None:
        plot(args.plot, result, dry, target, aligned)
        if not args.json:
            print(f"plot      {args.plot}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
