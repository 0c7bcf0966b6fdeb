#!/usr/bin/env python3
"""Trains pedal/data/default.model.json: the sound of the pedal on first boot.

    python tools/train_default_model.py [--time-limit SECONDS] [-o OUTPUT]     # or: make default-model

The target is the synthetic overdrive of pedal.training.overdrive (high-pass,
drive, asymmetric tanh clipper, low-pass tone, DC blocker; numpy), played on
70 s of synthetic guitar (pedal.signals.guitar_like) at levels from soft to
hard picking. The trainer (pedal.training) fits a small PedalNetRT WaveNet to it
(8 channels, dilations 1..256: shapes the core has fixed-size kernels for on
every CPU; under 1 us a sample on x86), keeps the state with the best
validation ESR and exports it. The script then plays held-out phrases
(never trained on) through the exported model in pedal.core and prints the ESR
against the same chain; tests/test_default_model.py checks that number
(<= 0.02) with numpy only.

Needs the [train] extra. Training is not bit-reproducible across machines
(thread timing, BLAS), but the recipe is: the same command gives a model of
the same quality.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from pedal.core import Model  # noqa: E402
from pedal.metrics import esr  # noqa: E402
from pedal.training import overdrive  # noqa: E402
from pedal.training.pair import Pair  # noqa: E402

DEFAULT_MODEL = ROOT / "pedal" / "data" / "default.model.json"
ARCHITECTURE = dict(channels=8, dilation_depth=9, repeat=1, kernel=3)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("-o", "--output", type=Path, default=DEFAULT_MODEL)
    parser.add_argument("--time-limit", type=float, default=480.0, help="seconds of training (default 480)")
    args = parser.parse_args(argv)
    from pedal.training.trainer import Settings, Trainer, export_json

    started = time.monotonic()
    dry = overdrive.training_audio()
    pair = Pair(dry, overdrive.overdrive(dry, overdrive.RATE), overdrive.RATE)
    print(f"target: {pair.seconds:.0f} s of synthetic guitar through the synthetic overdrive "
          f"({time.monotonic() - started:.1f} s to make)", flush=True)
    settings = Settings(**ARCHITECTURE, time_limit=args.time_limit, validation_fraction=0.15, seed=0)
    result = Trainer(settings, pair, log=lambda line: print(line, flush=True)).run()
    export_json(result, args.output)

    held_out = overdrive.held_out_audio()
    played = Model.load(args.output).process(held_out)
    error = esr(overdrive.overdrive(held_out, overdrive.RATE), played)
    print(f"wrote {args.output}: held-out ESR {error:.4f} in pedal.core "
          f"(validation ESR {result.best_esr:.4f}, epoch {result.best_epoch})", flush=True)
    return 0 if error <= 0.02 else 1


if __name__ == "__main__":
    sys.exit(main())
