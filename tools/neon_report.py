#!/usr/bin/env python3
"""`make cross` step: shows that the hot loops of the Pi build run on NEON.

    python tools/neon_report.py [--objdump aarch64-linux-gnu-objdump] [BUILD_DIR]

Disassembles the aarch64 objects of the core and, for each hot function (the
convolution micro-kernels of the common shapes, the recurrent layers'
matrix-vector kernel, the WaveNets' activations), counts vector
multiply-adds on four float lanes (`fmla vN.4s`) against scalar ones
(`fmadd sN`/`fmla sN`). Prints one line per function and fails when a hot
function has no vector multiply-add at all: the sign that a change made the
compiler give up on NEON for it.
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
from pathlib import Path

# (object file, pattern of the demangled function name, what it is)
HOT = [
    ("layers/conv_kernels.o", r"(FixedConv|conv_fixed)<16ul, 16ul>", "conv 16->16 (NAM standard; PedalNetRT gate halves, residual)"),
    ("layers/conv_kernels.o", r"(FixedConv|conv_fixed)<16ul, 32ul>", "conv 16->32 (NAM gated layers)"),
    ("layers/conv_kernels.o", r"(FixedConv|conv_fixed)<12ul, 12ul>", "conv 12->12 (NAM lite)"),
    ("layers/conv_kernels.o", r"(FixedConv|conv_fixed)<8ul, 8ul>", "conv 8->8 (NAM A2 Full, standard 2nd array, feather)"),
    ("layers/conv_kernels.o", r"(FixedConv|conv_fixed)<4ul, 4ul>", "conv 4->4 (NAM nano)"),
    ("layers/planar_conv.o", r"run_group<3ul>", "planar conv, 3 outputs (NAM A2 Lite layers, 1->3 rechannel)"),
    ("layers/planar_conv.o", r"run_group<4ul>", "planar conv, outputs in fours (NAM A2 Full, A1 nano to lite)"),
    ("layers/planar_conv.o", r"run_group<1ul>", "planar conv, 1 output (the heads, kernel 16 in A2)"),
    ("layers/lstm_kernels.o", r"FixedLstm<1ul, 16ul>::run", "LSTM 1x16 kernel: gate sums + activations"),
    ("layers/lstm_kernels.o", r"FixedLstm<1ul, 40ul>::run", "LSTM 1x40 kernel"),
    ("models/nam_wavenet.o", r"NamWaveNet::run_layer", "NAM WaveNet layer: activations, gates, sums"),
    ("models/nam_wavenet_planar.o", r"NamWaveNetPlanar::run_layer", "planar NAM WaveNet layer: activations, gates, sums"),
    ("models/gated_wavenet.o", r"GatedWaveNet::apply_activation|GatedWaveNet::process_chunk", "PedalNetRT gates"),
]
VECTOR_FMA = re.compile(r"\bfmla\s+v\d+\.4s")
SCALAR_FMA = re.compile(r"\b(fmadd\s+s\d+|fmla\s+s\d+)")
FUNCTION = re.compile(r"^[0-9a-f]+ <(.*)>:$")


def functions(objdump: str, path: Path) -> dict[str, list[str]]:
    text = subprocess.run([objdump, "-d", "-C", "--no-show-raw-insn", str(path)], check=True,
                          capture_output=True, text=True).stdout
    found: dict[str, list[str]] = {}
    current = None
    for line in text.splitlines():
        match = FUNCTION.match(line)
        if match:
            current = match.group(1)
            found.setdefault(current, [])
        elif current is not None:
            found[current].append(line)
    return found


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("build", nargs="?", default="build/aarch64")
    parser.add_argument("--objdump", default="aarch64-linux-gnu-objdump")
    args = parser.parse_args(argv)
    failures = 0
    print(f"NEON check of {args.build} (vector fmla .4s / scalar fmadd per hot function):")
    cache: dict[str, dict[str, list[str]]] = {}
    for obj, pattern, what in HOT:
        if obj not in cache:
            cache[obj] = functions(args.objdump, Path(args.build) / obj)
        lines = [line for name, body in cache[obj].items() if re.search(pattern, name) for line in body]
        vector = sum(bool(VECTOR_FMA.search(line)) for line in lines)
        scalar = sum(bool(SCALAR_FMA.search(line)) for line in lines)
        verdict = "NEON" if vector else ("MISSING" if lines else "NOT FOUND")
        failures += verdict != "NEON"
        print(f"  {verdict:9s} {vector:5d} vector / {scalar:4d} scalar  {what}")
    if failures:
        print(f"neon_report: {failures} hot function(s) without NEON multiply-adds", file=sys.stderr)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
