"""ALSA's sample formats and the codecs between them and float32, one period at a time.

    >>> fmt = FORMATS["S24_3LE"]
    >>> n = Decoder(fmt, channels=2, channel=0, frames=128).decode(data, x)   # captured bytes -> x
    >>> raw = Encoder(fmt, channels=2, frames=128).encode(y)                  # y -> bytes to play

``FORMATS`` holds every format pedal converts, by ALSA's name; ``PREFERENCE``
is the order pedal.audio asks a device for them. Decoder and Encoder run on
the audio thread, so they allocate their buffers once, when made, and work
per period only through those and numpy views (tests/test_sample_formats.py checks it).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from pedal.alsa import alsaaudio

__all__ = ["FORMATS", "PREFERENCE", "Decoder", "Encoder", "SampleFormat"]

@dataclass(frozen=True)
class SampleFormat:
    """How one ALSA sample format stores a sample, and what 1.0 is in it."""
    name: str           # ALSA's name, as pcm.info()["format_name"] says it
    alsa: int           # alsaaudio.PCM_FORMAT_*
    dtype: str          # numpy type of one stored value ("u1": one byte of a packed 24-bit sample)
    full_scale: float   # stored value of 1.0 (0: floating point, no scaling)
    width: int          # bytes per sample

    @property
    def is_float(self) -> bool:
        return self.full_scale == 0.0


FORMATS = {f.name: f for f in (
    SampleFormat("S32_LE", alsaaudio.PCM_FORMAT_S32_LE, "<i4", 2.0 ** 31, 4),
    SampleFormat("S24_3LE", alsaaudio.PCM_FORMAT_S24_3LE, "u1", 2.0 ** 23, 3),
    SampleFormat("S24_LE", alsaaudio.PCM_FORMAT_S24_LE, "<i4", 2.0 ** 23, 4),  # low 3 bytes of 4
    SampleFormat("FLOAT_LE", alsaaudio.PCM_FORMAT_FLOAT_LE, "<f4", 0.0, 4),
    SampleFormat("FLOAT64_LE", alsaaudio.PCM_FORMAT_FLOAT64_LE, "<f8", 0.0, 8),
    SampleFormat("S16_LE", alsaaudio.PCM_FORMAT_S16_LE, "<i2", 2.0 ** 15, 2),
)}
# Asked for in this order when the device does not take the first: most resolution first.
PREFERENCE = ("S32_LE", "S24_3LE", "S24_LE", "FLOAT_LE", "S16_LE", "FLOAT64_LE")


class Decoder:
    """Takes the guitar channel out of a captured period, as float32 in [-1, 1).

        >>> decoder = Decoder(FORMATS["S16_LE"], channels=2, channel=0, frames=128)
        >>> n = decoder.decode(data, out)     # data: bytes from pcm.read(); out: float32[128]

    Works through numpy views of ``data`` and arrays allocated here, once.
    """

    def __init__(self, sample_format: SampleFormat, channels: int, channel: int, frames: int) -> None:
        if not 0 <= channel < channels:
            raise ValueError(f"channel {channel} is not one of {channels}")
        self.format, self.channels, self.channel, self.frames = sample_format, channels, channel, frames
        self.frame_bytes = sample_format.width * channels
        self._int = np.zeros(frames, np.int32)
        self._byte = np.zeros(frames, np.int32)

    def decode(self, data, out: np.ndarray) -> int:
        """Fills ``out[:n]`` with the n frames in ``data``; returns n."""
        fmt, n = self.format, min(len(data) // self.frame_bytes, self.frames)
        if n < len(out):
            out = out[:n]
        raw = np.frombuffer(data, dtype=fmt.dtype, count=n * self.frame_bytes // np.dtype(fmt.dtype).itemsize)
        if fmt.name == "S24_3LE":
            packed = raw.reshape(n, self.channels, 3)
            value, byte = self._int[:n], self._byte[:n]
            np.copyto(value, packed[:, self.channel, 2].view(np.int8))  # the top byte carries the sign
            np.left_shift(value, 16, out=value)
            np.copyto(byte, packed[:, self.channel, 1])
            np.left_shift(byte, 8, out=byte)
            np.bitwise_or(value, byte, out=value)
            np.copyto(byte, packed[:, self.channel, 0])
            np.bitwise_or(value, byte, out=value)
            column = value
        else:
            column = raw[self.channel::self.channels]
            if fmt.name == "S24_LE":  # sign-extend the low 24 bits
                value = self._int[:n]
                np.left_shift(column, 8, out=value)
                np.right_shift(value, 8, out=value)
                column = value
        np.copyto(out, column, casting="unsafe")
        if not fmt.is_float:
            np.multiply(out, np.float32(1.0 / fmt.full_scale), out=out)
        return n


class Encoder:
    """Turns a mono float32 period into a playback period, the same sample on every channel.

        >>> encoder = Encoder(FORMATS["S32_LE"], channels=2, frames=128)
        >>> pcm.write(encoder.encode(out))

    Values beyond full scale are clipped; integers are rounded to nearest. The
    returned array is the encoder's own buffer (valid until the next call).
    """

    def __init__(self, sample_format: SampleFormat, channels: int, frames: int) -> None:
        self.format, self.channels, self.frames = sample_format, channels, frames
        per_frame = channels * (3 if sample_format.name == "S24_3LE" else 1)
        self._raw = np.zeros(frames * per_frame, np.dtype(sample_format.dtype))
        self._scaled = np.zeros(frames, np.float32)
        self._int = np.zeros(frames, np.int32)
        self._byte = np.zeros(frames, np.int32)
        if not sample_format.is_float:
            self._low = np.float32(-sample_format.full_scale)
            # The largest float32 not above full scale - 1 (2**31 - 1 is not a float32).
            high = np.float32(sample_format.full_scale - 1)
            if float(high) > sample_format.full_scale - 1:
                high = np.nextafter(np.float32(sample_format.full_scale), np.float32(0))
            self._high = high

    def silence(self, frames: int) -> np.ndarray:
        """A buffer of ``frames`` frames of silence in this format (allocated: not for the audio thread)."""
        return np.zeros(frames * self._raw.size // self.frames, self._raw.dtype)

    def encode(self, mono: np.ndarray) -> np.ndarray:
        fmt, n = self.format, len(mono)
        raw = self._raw if n == self.frames else self._raw[:n * self._raw.size // self.frames]
        if fmt.is_float:
            np.copyto(raw.reshape(n, self.channels), mono[:, None], casting="same_kind")
            return raw
        scaled = self._scaled[:n]
        np.multiply(mono, np.float32(fmt.full_scale), out=scaled)
        np.clip(scaled, self._low, self._high, out=scaled)
        np.rint(scaled, out=scaled)
        if fmt.name != "S24_3LE":
            np.copyto(raw.reshape(n, self.channels), scaled[:, None], casting="unsafe")
            return raw
        value, byte = self._int[:n], self._byte[:n]
        np.copyto(value, scaled, casting="unsafe")
        packed = raw.reshape(n, self.channels, 3)
        for k in range(3):  # little-endian bytes; int32 -> uint8 keeps the low byte
            np.right_shift(value, 8 * k, out=byte)
            np.copyto(packed[:, :, k], byte[:, None], casting="unsafe")
        return raw
