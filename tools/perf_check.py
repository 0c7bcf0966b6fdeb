"""Instruction counts per sample of the core, a performance guard that does not flake.

    python tools/perf_check.py [--update] [--bench build/native/pedal-bench]

Runs the C++ bench binary under `valgrind --tool=callgrind`, counting only the
instructions executed inside pedal_model_process, for a fixed set of models and
a fixed workload. Instruction counts are the same run after run whatever else
the machine does, so a change that makes a model >10 % more expensive fails
here, not in a flaky timing. The figures live in tests/perf_baseline.json;
`--update` rewrites them (do it deliberately, when a change is meant to cost more
or has made things cheaper).
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared" / "models"
BASELINE = ROOT / "tests" / "perf_baseline.json"
TOLERANCE = 0.10

# name: (file under ../shared/models, size: the submodel an A2 container plays)
MODELS = {
    "nam_standard": ("bench/wavenet_a1_standard.nam", 1.0),
    "nam_nano": ("bench/wavenet_a1_nano.nam", 1.0),
    "nam_a2_full": ("NeuralAudio/BossWN-a2.nam", 1.0),
    "nam_a2_lite": ("NeuralAudio/BossWN-a2.nam", 0.5),
    "lstm_1x16": ("bench/lstm_1x16.nam", 1.0),
    "pedalnet": ("PedalNetRT/pedalnet.json", 1.0),
}
SECONDS, RATE, WARMUP = 0.25, 48000, 8192  # the bench binary's workload


def instructions_per_sample(bench: Path, model: Path, size: float) -> float:
    with tempfile.TemporaryDirectory() as scratch:
        out = Path(scratch) / "callgrind.out"
        subprocess.run(["valgrind", "--tool=callgrind", "--toggle-collect=pedal_model_process",
                        f"--callgrind-out-file={out}", str(bench), str(model), "--runs", "1",
                        "--seconds", str(SECONDS), "--block", "64", "--size", str(size)],
                       check=True, capture_output=True, text=True)
        totals = re.search(r"^(?:summary|totals):\s+(\d+)", out.read_text(), re.M)
    samples = int(SECONDS * RATE) // 64 * 64 + WARMUP
    return int(totals.group(1)) / samples


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--bench", default=str(ROOT / "build" / "native" / "pedal-bench"))
    parser.add_argument("--update", action="store_true", help="write the measured figures as the new baseline")
    args = parser.parse_args(argv)
    baseline = json.loads(BASELINE.read_text()) if BASELINE.exists() else {}
    measured, failures = {}, []
    for name, (relative, size) in MODELS.items():
        path = SHARED / relative
        if not path.exists():
            print(f"perf-check: {name}: {path} is absent, skipped")
            continue
        measured[name] = round(instructions_per_sample(Path(args.bench), path, size), 1)
        before = baseline.get(name)
        change = f"{(measured[name] / before - 1) * 100:+.1f} %" if before else "new"
        print(f"perf-check: {name:14} {measured[name]:10.1f} instructions/sample ({change})")
        if before and measured[name] > before * (1 + TOLERANCE):
            failures.append(f"{name}: {measured[name]:.0f} instructions/sample, more than {TOLERANCE:.0%} over "
                            f"the baseline {before:.0f} (tests/perf_baseline.json)")
    if args.update:
        BASELINE.write_text(json.dumps(measured, indent=2, sort_keys=True) + "\n")
        print(f"perf-check: baseline written to {BASELINE.relative_to(ROOT)}")
        return 0
    for failure in failures:
        print(f"perf-check: FAILED {failure}", file=sys.stderr)
    print(f"perf-check: {len(measured) - len(failures)} passed, {len(failures)} failed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
