#!/usr/bin/env python3
"""Train a capture: a PedalNetRT WaveNet from what went into your gear and what came out.

    python tools/train.py IN.wav TARGET.wav -o model.json [--time-limit 240] [--epochs N]
                          [--channels C --dilation-depth D --repeat R --kernel K] [--resume]

IN.wav is the dry guitar (DI) you played into the amp or pedal, TARGET.wav what
you recorded from it: mono, same rate, same length, time-aligned, 44.1 kHz
(the PedalNetRT json format has no rate field and every player runs it at
44.1 kHz). Progress goes to the terminal one line per epoch; a checkpoint
(model.json.ckpt unless --checkpoint says otherwise) is written after every
epoch, so Ctrl-C or --time-limit loses nothing and --resume carries on. The
exported model is the state with the best validation ESR (on the last 20 % of
the recording, which training never sees).

Needs the optional extra: pip install -e '.[train]' (PyTorch, CPU).
"""

from __future__ import annotations

import argparse
import importlib.util
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from pedal.training.pair import PairError, load_pair  # noqa: E402

PEDALNET_RATE = 44100


def parser() -> argparse.ArgumentParser:
    from pedal.training.trainer import Settings
    d = Settings()
    p = argparse.ArgumentParser(prog="train.py", description=__doc__.split("\n\n")[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("input", type=Path, help="IN.wav: the dry signal (DI)")
    p.add_argument("target", type=Path, help="TARGET.wav: what the gear made of it")
    p.add_argument("-o", "--output", type=Path, required=True, help="model to write (PedalNetRT .json)")
    p.add_argument("--epochs", type=int, default=d.epochs, help=f"stop after this many epochs (default {d.epochs})")
    p.add_argument("--time-limit", type=float, default=None, metavar="SECONDS",
                   help="stop after this long and keep the best validation state (default: none)")
    p.add_argument("--channels", type=int, default=d.channels, help=f"residual channels (default {d.channels})")
    p.add_argument("--dilation-depth", type=int, default=d.dilation_depth,
                   help=f"layers per stack, dilations 1..2^(D-1) (default {d.dilation_depth})")
    p.add_argument("--repeat", type=int, default=d.repeat, help=f"stacks (default {d.repeat})")
    p.add_argument("--kernel", type=int, default=d.kernel, help=f"taps per dilated convolution (default {d.kernel})")
    p.add_argument("--batch-size", type=int, default=d.batch_size, help=f"crops per batch (default {d.batch_size})")
    p.add_argument("--segment", type=int, default=d.segment, help=f"output samples per crop (default {d.segment})")
    p.add_argument("--learning-rate", type=float, default=d.learning_rate, help=f"Adam's (default {d.learning_rate})")
    p.add_argument("--validation-fraction", type=float, default=d.validation_fraction,
                   help=f"held-out end of the recording (default {d.validation_fraction})")
    p.add_argument("--pre-emphasis", type=float, default=d.pre_emphasis,
                   help=f"loss pre-emphasis coefficient, 1 - c/z (default {d.pre_emphasis}; 0.95 is the other usual)")
    p.add_argument("--threads", type=int, default=d.threads,
                   help=f"PyTorch threads (default {d.threads}: small convolutions gain little from more)")
    p.add_argument("--seed", type=int, default=d.seed)
    p.add_argument("--checkpoint", type=Path, default=None, help="checkpoint file (default OUTPUT.ckpt)")
    p.add_argument("--resume", action="store_true", help="carry on from the checkpoint when there is one")
    return p


def settings_from(args):
    from pedal.training.trainer import Settings
    for name in ("epochs", "channels", "dilation_depth", "repeat", "kernel", "batch_size", "segment"):
        if getattr(args, name) < 1:
            raise SystemExit(f"train.py: --{name.replace('_', '-')} must be at least 1")
    if not 0.0 < args.validation_fraction < 1.0:
        raise SystemExit("train.py: --validation-fraction must be between 0 and 1")
    if args.time_limit is not None and args.time_limit <= 0:
        raise SystemExit("train.py: --time-limit must be positive")
    return Settings(channels=args.channels, dilation_depth=args.dilation_depth, repeat=args.repeat,
                    kernel=args.kernel, epochs=args.epochs, time_limit=args.time_limit,
                    batch_size=args.batch_size, segment=args.segment, learning_rate=args.learning_rate,
                    validation_fraction=args.validation_fraction, pre_emphasis=args.pre_emphasis,
                    seed=args.seed, threads=args.threads)


def main(argv=None) -> int:
    if importlib.util.find_spec("torch") is None:
        print("train.py: PyTorch is not installed; install the training extra: pip install -e '.[train]'",
              file=sys.stderr)
        return 2
    args = parser().parse_args(argv)
    from pedal.training.trainer import CheckpointError, Trainer, export_json
    settings = settings_from(args)
    if args.output.suffix.lower() != ".json":
        print(f"train.py: {args.output}: only PedalNetRT .json export is supported", file=sys.stderr)
        return 2
    try:
        pair = load_pair(args.input, args.target)
        if pair.rate != PEDALNET_RATE:
            raise PairError(f"{args.input} is at {pair.rate} Hz; PedalNetRT json plays at {PEDALNET_RATE} Hz "
                            "(the format stores no rate), so record or resample the pair at 44.1 kHz, "
                            "e.g. sox IN.wav -r 44100 IN44.wav")
        lag = pair.lag()
        if abs(lag) > pair.rate // 1000:  # filters shift the peak a few samples; latency is more
            print(f"note: the target lags the input by {lag} samples ({1000 * lag / pair.rate:.1f} ms); "
                  "the model will learn that delay too (trim the target to remove it)", flush=True)
        trainer = Trainer(settings, pair, checkpoint=args.checkpoint or args.output.with_name(args.output.name + ".ckpt"),
                          resume=args.resume, log=lambda line: print(line, flush=True))
        result = trainer.run()
    except (PairError, CheckpointError) as error:
        print(f"train.py: {error}", file=sys.stderr)
        return 2
    if result.best_epoch == 0:
        print("train.py: stopped before the first epoch ended; nothing to export", file=sys.stderr)
        return 1
    export_json(result, args.output)
    print(f"wrote {args.output}: validation ESR {result.best_esr:.4f} (epoch {result.best_epoch})", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
