"""pedal: open firmware that turns a Raspberry Pi into a neural guitar pedal."""

__version__ = "0.1.0"
