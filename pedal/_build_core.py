"""Build script of ``pedal._core``: the C++ core behind the C ABI of csrc/capi/pedal.h.

cffi's API mode compiles csrc/ together with a generated wrapper at install time,
so importing the package needs no compiler. Run directly to build in place::

    python pedal/_build_core.py
"""

from __future__ import annotations

import importlib.util
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


def _load_build_flags():
    """pedal/build_flags.py, by path: importing the package would need the core built already."""
    spec = importlib.util.spec_from_file_location("pedal_build_flags", ROOT / "pedal" / "build_flags.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


build_flags = _load_build_flags()


def compile_args(isa: str) -> list[str]:
    """The flags (pedal/build_flags.py) of the "baseline" or "avx2" build on this machine."""
    if isa == "avx2":
        target = "avx2"
    elif os.environ.get("PEDAL_NATIVE") == "1":
        target = "native"
    elif platform.machine() in ("aarch64", "arm64"):
        target = "aarch64-native"
    else:
        target = "baseline"
    return build_flags.python_flags(target)


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
