# setuptools needs this file only for cffi_modules, which pyproject.toml
# cannot express: it builds pedal._core (the C++ core) at install time.
from setuptools import setup

setup(cffi_modules=["pedal/_build_core.py:ffibuilder"])
