"""The core's compile flags, written once for every build of it: `pip install` (pedal/_build_core.py),
the Debian packages (packaging/build_deb.py) and the Makefile's self-tests, benches and cross
builds. So the Pi builds `make cross` runs under qemu, and whose loops tools/neon_report.py reads,
are compiled exactly as the arm64 and armhf packages ship them.

    python pedal/build_flags.py package arm64    # the flags, shell-quoted, for the Makefile
    python pedal/build_flags.py warnings
    >>> package_flags("arm64")                    # the same list, for Python

Plain Python, no imports from the package: the build scripts load it by path.
"""

from __future__ import annotations

import shlex
import sys

__all__ = ["TARGETS", "WARNINGS", "core_flags", "package_flags", "python_flags"]

# No code relies on floating-point traps or on errno from maths functions; without them GCC
# if-converts the clamps of fast_math.h and vectorises the activations.
MATH = ["-fno-math-errno", "-fno-trapping-math"]
CORE = ["-std=c++17", "-O3", *MATH]
# Every C++ build we compile ourselves; the cffi wrapper (generated code) gets the first two only.
WARNINGS = ["-Wall", "-Wextra", "-Werror", "-Wshadow", "-Wconversion", "-Wno-sign-conversion"]

# Per target: the instruction set, and the name pedal_build_isa() reports.
# The Pi builds run on a Pi 2 v1.2 / 3 / 4 / 5 and are tuned for the Pi 4's Cortex-A72.
TARGETS = {
    "baseline": ([], "baseline"),                                     # every x86-64 CPU
    "avx2": (["-mavx2", "-mfma", "-ffp-contract=fast"], "avx2+fma"),  # picked at import where the CPU has both
    "arm64": (["-march=armv8-a", "-mtune=cortex-a72"], "armv8-a"),
    "armhf": (["-march=armv7-a", "-mfpu=neon-vfpv4", "-mfloat-abi=hard", "-mtune=cortex-a72"], "armv7-a+neon"),
    "native": (["-march=native"], "native"),                          # PEDAL_NATIVE=1: this very machine
    "aarch64-native": (["-mcpu=native"], "aarch64 native"),           # pip install on an ARM board
}


def core_flags(target: str) -> list[str]:
    """What every build of the core for ``target`` compiles with."""
    isa, name = TARGETS[target]
    return [*CORE, *isa, f'-DPEDAL_BUILD_ISA="{name}"']


def package_flags(target: str) -> list[str]:
    """A shared library as the Debian package ships it (and as `make cross` tests it)."""
    return [*core_flags(target), "-fPIC", "-DNDEBUG"]


def python_flags(target: str) -> list[str]:
    """The cffi extension `pip install` builds. Python's own CFLAGS carry -fwrapv, which forbids
    the compiler to assume that signed index arithmetic never overflows: the conv kernels then
    ran a third slower (NAM nano 125 -> 169 ns/sample) than the C++ bench."""
    return [*core_flags(target), "-fno-wrapv", *WARNINGS[:2]]


if __name__ == "__main__":
    kind = sys.argv[1]
    print(shlex.join(WARNINGS if kind == "warnings" else {"core": core_flags, "package": package_flags}[kind](sys.argv[2])))
