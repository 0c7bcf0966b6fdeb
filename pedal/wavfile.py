"""WAV files in and out: DI clips, cabinet impulse responses, renders, training pairs.

    >>> samples, rate = read_wav("di.wav")        # float32, shape (frames, channels)
    >>> dry, rate = read_mono("di.wav", "input")  # float32, mono or a one-line refusal
    >>> write("clip.wav", dry, rate)               # mono 16-bit PCM, written atomically
    >>> write("out.wav", wet, rate, float32=True)  # mono float32 WAV (exact, no dither)

Python's ``wave`` reads integer PCM only; IRs and renders are often 24-bit or
32-bit float, so this reads the RIFF chunks itself: PCM 8/16/24/32-bit, IEEE
float 32/64-bit, plain or WAVE_FORMAT_EXTENSIBLE. Anything else is a WavError
naming the file and what was found. Nothing in a file is ever executed; sizes
are checked before anything is allocated.
"""

from __future__ import annotations

import struct
from pathlib import Path

import numpy as np

from pedal.files import write_atomically

__all__ = ["WavError", "encode", "parse_wav", "read_mono", "read_wav", "write"]

PCM, FLOAT, EXTENSIBLE = 1, 3, 0xFFFE


class WavError(ValueError):
    """A file that is not a WAV we can read; the message says what and where."""


def parse_wav(data: bytes, where: str = "<wav>") -> tuple[np.ndarray, int]:
    """(samples as float32 (frames, channels) in [-1, 1], sample rate) from a WAV file's bytes."""
    if len(data) < 12 or data[:4] != b"RIFF" or data[8:12] != b"WAVE":
        raise WavError(f"{where}: not a WAV file (no RIFF/WAVE header)")
    fmt = None
    position = 12
    while position + 8 <= len(data):
        chunk, size = data[position:position + 4], struct.unpack_from("<I", data, position + 4)[0]
        body = data[position + 8:position + 8 + size]
        if chunk == b"fmt ":
            if len(body) < 16:
                raise WavError(f"{where}: fmt chunk is {len(body)} bytes, needs 16")
            tag, channels, rate, _, _, bits = struct.unpack_from("<HHIIHH", body)
            if tag == EXTENSIBLE and len(body) >= 26:
                tag = struct.unpack_from("<H", body, 24)[0]  # the sub-format GUID starts with the tag
            fmt = (tag, channels, rate, bits)
        elif chunk == b"data":
            if fmt is None:
                raise WavError(f"{where}: data chunk before the fmt chunk")
            return _decode(body, *fmt, where)
        position += 8 + size + (size & 1)  # chunks are padded to even sizes
    raise WavError(f"{where}: no {'data' if fmt else 'fmt'} chunk")


def _decode(body: bytes, tag: int, channels: int, rate: int, bits: int, where: str) -> tuple[np.ndarray, int]:
    if not 1 <= channels <= 32:
        raise WavError(f"{where}: {channels} channels; expected 1..32")
    if not 1000 <= rate <= 768000:
        raise WavError(f"{where}: sample rate {rate} Hz is not plausible")
    width = bits // 8
    if tag == PCM and bits in (8, 16, 24, 32):
        frames = len(body) // (width * channels)
        raw = np.frombuffer(body, np.uint8, frames * width * channels)
        if bits == 8:
            samples = (raw.astype(np.float32) - 128.0) / 128.0
        elif bits == 24:
            triples = raw.reshape(-1, 3).astype(np.int32)
            value = triples[:, 0] | (triples[:, 1] << 8) | (triples[:, 2] << 16)
            samples = (np.where(value >= 1 << 23, value - (1 << 24), value) / float(1 << 23)).astype(np.float32)
        else:
            samples = (np.frombuffer(raw.tobytes(), f"<i{width}") / float(1 << (bits - 1))).astype(np.float32)
    elif tag == FLOAT and bits in (32, 64):
        frames = len(body) // (width * channels)
        samples = np.frombuffer(body, f"<f{width}", frames * channels).astype(np.float32)
        if not np.all(np.isfinite(samples)):
            raise WavError(f"{where}: has NaN or infinite samples")
    else:
        kind = {PCM: "PCM", FLOAT: "float"}.get(tag, f"format tag {tag:#x}")
        raise WavError(f"{where}: {kind} with {bits} bits per sample is not supported "
                       "(PCM 8/16/24/32-bit or float 32/64-bit)")
    if frames == 0:
        raise WavError(f"{where}: no audio in the data chunk")
    return samples.reshape(frames, channels), int(rate)


def read_wav(path: Path | str, max_bytes: int = 1 << 30) -> tuple[np.ndarray, int]:
    path = Path(path)
    try:
        size = path.stat().st_size
        if size > max_bytes:
            raise WavError(f"{path}: {size / 2**20:.1f} MiB; at most {max_bytes / 2**20:g} MiB")
        data = path.read_bytes()
    except OSError as error:
        raise WavError(f"{path}: cannot read ({error.strerror or error})") from None
    return parse_wav(data, str(path))


def read_mono(path: Path | str, role: str = "file") -> tuple[np.ndarray, int]:
    """A mono WAV as (float32 samples, rate); ``role`` ("input", "target") goes
    into the error message of a stereo file."""
    samples, rate = read_wav(path)
    if samples.shape[1] != 1:
        raise WavError(f"{path}: the {role} has {samples.shape[1]} channels; a mono file is needed "
                       "(take one channel first, e.g. sox IN.wav OUT.wav remix 1)")
    return np.ascontiguousarray(samples[:, 0]), rate


def encode(samples: np.ndarray, rate: int, float32: bool = False) -> bytes:
    """The bytes of a mono WAV: 16-bit PCM (clipped to [-1, 1], rounded) or 32-bit float."""
    samples = np.asarray(samples, dtype=np.float64).reshape(-1)
    if float32:
        payload, tag, bits = samples.astype("<f4").tobytes(), FLOAT, 32
    else:
        payload, tag, bits = np.round(np.clip(samples, -1.0, 1.0) * 32767.0).astype("<i2").tobytes(), PCM, 16
    width = bits // 8
    header = struct.pack("<4sI4s4sIHHIIHH4sI", b"RIFF", 36 + len(payload), b"WAVE", b"fmt ", 16, tag, 1,
                         int(rate), int(rate) * width, width, bits, b"data", len(payload))
    return header + payload


def write(path: Path | str, samples: np.ndarray, rate: int, float32: bool = False) -> None:
    """Writes a mono WAV in one step (never a half-written file); see ``encode``."""
    write_atomically(Path(path), encode(samples, rate, float32))
