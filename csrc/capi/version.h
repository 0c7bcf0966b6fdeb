// Kept equal to the version in pyproject.toml (a test checks).
#pragma once
#define PEDAL_VERSION "0.1.0"
