"""The pyalsaaudio module pedal uses, chosen here once for pedal.audio and pedal.sample_formats.

    >>> from pedal.alsa import alsaaudio
"""

try:
    # The Debian package carries pyalsaaudio 0.11 itself: bookworm's python3-alsaaudio
    # (0.8) has neither PCM(rate=, periods=) nor info(). Elsewhere it comes from pip.
    from pedal._vendor import alsaaudio
except ImportError:
    import alsaaudio

__all__ = ["alsaaudio"]
