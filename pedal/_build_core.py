"""Build script of ``pedal._core``: the C++ core behind the C ABI of csrc/capi/pedal.h.

cffi's API mode compiles csrc/ together with a generated wrapper at install time,
so importing the package needs no compiler. Run directly to build in place::

    python pedal/_build_core.py
"""

from __future__ import annotations

import os
import platform
import re
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


def compile_args(isa: str) -> list[str]:
    # No code relies on floating-point traps; without them the activations vectorise.
    # Python's own CFLAGS carry -fwrapv, which forbids the compiler to assume
    # that signed index arithmetic never overflows: the conv kernels then ran
    # a third slower (NAM nano 125 -> 169 ns/sample) than the C++ bench.
    args = ["-std=c++17", "-O3", "-fno-wrapv", "-fno-math-errno", "-fno-trapping-math", "-Wall", "-Wextra"]
    if isa == "avx2":
        # FMA contraction is what the AVX2 path is for; results stay within float rounding.
        args += ["-mavx2", "-mfma", "-ffp-contract=fast", '-DPEDAL_BUILD_ISA="avx2+fma"']
    elif os.environ.get("PEDAL_NATIVE") == "1":
        args += ["-march=native", '-DPEDAL_BUILD_ISA="native"']
    elif platform.machine() in ("aarch64", "arm64"):
        args += ["-mcpu=native", '-DPEDAL_BUILD_ISA="aarch64 native"']
    return args


def builder(module: str, isa: str) -> FFI:
    ffi = FFI()
    ffi.cdef(cdef_from_header())
    ffi.set_source(
        module,
        '#include "capi/pedal.h"',
        sources=core_sources(),
        include_dirs=[str(CSRC.relative_to(ROOT))],
        extra_compile_args=compile_args(isa),
        source_extension=".cpp",
        language="c++",
    )
    return ffi


# The baseline build runs on every CPU of its architecture. On x86-64 a second
# build with AVX2+FMA is made too, and pedal.core picks it at import when the
# CPU has both (PEDAL_NATIVE=1 instead makes one build for this very machine).
X86 = platform.machine() in ("x86_64", "AMD64") and os.environ.get("PEDAL_NATIVE") != "1"
ffibuilder = builder("pedal._core", "baseline")
ffibuilder_avx2 = builder("pedal._core_avx2", "avx2") if X86 else None

if __name__ == "__main__":
    os.chdir(ROOT)
    for ffi, name in ((ffibuilder, "_core"), (ffibuilder_avx2, "_core_avx2")):
        if ffi is not None:
            ffi.compile(tmpdir=str(ROOT / "build" / "cffi"), target=f"pedal/{name}.*", verbose=False)
