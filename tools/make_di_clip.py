#!/usr/bin/env python3
"""Writes pedal/data/di_clip.wav: the DI clip demos and tests play, a short
guitar phrase synthesised by plucked-string (Karplus-Strong) synthesis in
pedal.signals.guitar_phrase. 48 kHz, 16-bit mono, 3.5 s.

    python tools/make_di_clip.py [OUTPUT]

Deterministic: running it again gives the same bytes (tests/test_di_clip.py
checks that). Needs only numpy.
"""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from pedal.files import write_atomically  # noqa: E402
from pedal.signals import DI_CLIP, di_clip_bytes  # noqa: E402


def main() -> int:
    target = Path(sys.argv[1]) if len(sys.argv) > 1 else DI_CLIP
    write_atomically(target, di_clip_bytes())
    print(f"wrote {target} ({target.stat().st_size} bytes)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
