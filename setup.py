# setuptools needs this file only for cffi_modules, which pyproject.toml
# cannot express: it builds pedal._core (the C++ core) at install time, and
# on x86-64 also pedal._core_avx2 (the same core for CPUs with AVX2 and FMA).
import os
import platform

from setuptools import setup

modules = ["pedal/_build_core.py:ffibuilder"]
if platform.machine() in ("x86_64", "AMD64") and os.environ.get("PEDAL_NATIVE") != "1":
    modules.append("pedal/_build_core.py:ffibuilder_avx2")

setup(cffi_modules=modules)
