"""Build script of ``pedal._core``: the C++ core behind the C ABI of csrc/capi/pedal.h.

cffi's API mode compiles csrc/ together with a generated wrapper at install time,
so importing the package needs no compiler. Run directly to build in place::

    python pedal/_build_core.py
"""

from __future__ import annotations

import os
import platform
import re
import sys
from pathlib import Path

from cffi import FFI

ROOT = Path(__file__).resolve().parent.parent
CSRC = ROOT / "csrc"

# Everything but tests, benchmarks and fuzzers goes into the extension.
CORE_DIRS = ("json", "layers", "models", "formats", "dsp", "engine", "capi")


def core_sources() -> list[str]:
    sources = []
    for folder in CORE_DIRS:
        sources += sorted(str(p.relative_to(ROOT)) for p in (CSRC / folder).glob("*.cpp"))
    return sources


def cdef_from_header() -> str:
    """The declarations between the cdef markers of pedal.h, comments removed."""
    header = (CSRC / "capi" / "pedal.h").read_text()
    block = header.split("/* cdef-begin */", 1)[1].split("/* cdef-end */", 1)[0]
    return re.sub(r"/\*.*?\*/", "", block, flags=re.S)


def compile_args() -> list[str]:
    # No code relies on floating-point traps; without them the activations vectorise.
    args = ["-std=c++17", "-O3", "-fno-math-errno", "-fno-trapping-math", "-Wall", "-Wextra"]
    if os.environ.get("PEDAL_NATIVE") == "1":
        args.append("-march=native")
    elif platform.machine() in ("aarch64", "arm64"):
        args.append("-mcpu=native")
    return args


ffibuilder = FFI()
ffibuilder.cdef(cdef_from_header())
ffibuilder.set_source(
    "pedal._core",
    '#include "capi/pedal.h"',
    sources=core_sources(),
    include_dirs=[str(CSRC.relative_to(ROOT))],
    extra_compile_args=compile_args(),
    source_extension=".cpp",
    language="c++",
)

if __name__ == "__main__":
    os.chdir(ROOT)
    sys.exit(ffibuilder.compile(tmpdir=str(ROOT / "build" / "cffi"), target="pedal/_core.*", verbose=False) and 0)
