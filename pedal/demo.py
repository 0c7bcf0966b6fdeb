"""`make run` until the daemon lands: plays a reference guitar phrase through a
model offline and writes the result to build/demo.wav.

    python -m pedal.demo [MODEL]

Without MODEL it uses a WaveNetVA capture from ../shared/models when present,
else the small WaveNet of the core's self-test.
"""

from __future__ import annotations

import sys
import time
import wave
from pathlib import Path

import numpy as np

from pedal.core import Model, ModelError
from pedal.signals import guitar_like

ROOT = Path(__file__).resolve().parent.parent
CANDIDATES = [
    ROOT.parent / "shared" / "models" / "WaveNetVA" / "WaveNet1-ts7.json",
    ROOT / "csrc" / "tests" / "golden" / "pedalnet_c4_d4_k3.model.json",
]


def write_wav(path: Path, samples: np.ndarray, rate: int) -> None:
    pcm = (np.clip(samples, -1.0, 1.0) * 32767).astype("<i2")
    path.parent.mkdir(parents=True, exist_ok=True)
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(rate)
        out.writeframes(pcm.tobytes())


def main(argv=None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    path = Path(argv[0]) if argv else next(p for p in CANDIDATES if p.exists())
    try:
        model = Model.load(path)
    except (OSError, ModelError) as error:
        print(f"demo: {error}", file=sys.stderr)
        return 1
    rate = int(model.sample_rate)
    dry = guitar_like(6.0, rate=rate, seed=1)
    out = np.empty_like(dry)
    begin = time.perf_counter()
    for start in range(0, len(dry), 128):
        model.process(dry[start:start + 128], out=out[start:start + 128])
    elapsed = time.perf_counter() - begin
    target = ROOT / "build" / "demo.wav"
    write_wav(target, out / max(1e-9, float(np.max(np.abs(out)))) * 0.8, rate)
    print(f"demo: no daemon yet; rendered {len(dry) / rate:.1f} s of guitar through {path.name} "
          f"({model.info['architecture']}, {model.info['parameters']} parameters) at "
          f"{len(dry) / rate / elapsed:.1f}x real time -> {target.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
