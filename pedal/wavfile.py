"""WAV files in and out, with errors a guitarist can act on.

    >>> from pedal import wavfile
    >>> dry, rate = wavfile.read_mono("di.wav")          # float32 in [-1, 1], Hz
    >>> wavfile.write("out.wav", dry, rate)             # 16-bit PCM, atomically

Reads PCM (16, 24, 32 bit) and IEEE float (32, 64 bit) WAVs, including the
WAVE_FORMAT_EXTENSIBLE header recorders write; the standard library's ``wave``
module refuses float files, which is what most captures (and PedalNetRT) use.
Every refusal is a ``WavError`` with one line naming the file and what is wrong.
"""

from __future__ import annotations

import struct
from pathlib import Path

import numpy as np

from pedal.files import write_atomically

PCM, IEEE_FLOAT, EXTENSIBLE = 0x0001, 0x0003, 0xFFFE


class WavError(ValueError):
    """A WAV file that cannot be used; the message names the file."""


def _chunks(data: bytes, path: Path):
    position = 12
    while position + 8 <= len(data):
        chunk_id, size = struct.unpack_from("<4sI", data, position)
        body = data[position + 8: position + 8 + size]
        yield chunk_id, body
        position += 8 + size + (size & 1)  # chunks are padded to an even length


def read(path: Path | str) -> tuple[np.ndarray, int]:
    """(samples as float32 with shape (frames, channels), sample rate)."""
    path = Path(path)
    try:
        data = path.read_bytes()
    except OSError as error:
        raise WavError(f"{path}: cannot read ({error.strerror or error})") from None
    if len(data) < 12 or data[:4] != b"RIFF" or data[8:12] != b"WAVE":
        raise WavError(f"{path}: not a WAV file (no RIFF/WAVE header)")
    fmt = frames = None
    for chunk_id, body in _chunks(data, path):
        if chunk_id == b"fmt ":
            if len(body) < 16:
                raise WavError(f"{path}: fmt chunk is {len(body)} bytes, expected at least 16")
            fmt = struct.unpack_from("<HHIIHH", body)
            if fmt[0] == EXTENSIBLE:
                if len(body) < 26:
                    raise WavError(f"{path}: extensible fmt chunk is too short")
                fmt = (struct.unpack_from("<H", body, 24)[0],) + fmt[1:]
        elif chunk_id == b"data":
            frames = body
    if fmt is None:
        raise WavError(f"{path}: no fmt chunk")
    if frames is None:
        raise WavError(f"{path}: no data chunk")
    tag, channels, rate, _, _, bits = fmt
    if channels < 1 or rate < 1:
        raise WavError(f"{path}: {channels} channels at {rate} Hz")
    if tag == PCM and bits in (16, 24, 32):
        width = bits // 8
        usable = len(frames) - len(frames) % (width * channels)
        raw = np.frombuffer(frames[:usable], np.uint8).reshape(-1, width)
        if bits == 24:  # widen to 32 bits (sign in the top byte) before scaling
            raw = np.concatenate([np.zeros((len(raw), 1), np.uint8), raw], axis=1)
        ints = raw.copy().view("<i4" if bits != 16 else "<i2").reshape(-1)
        samples = ints.astype(np.float64) / (2.0 ** 31 if bits != 16 else 2.0 ** 15)
    elif tag == IEEE_FLOAT and bits in (32, 64):
        width = bits // 8
        usable = len(frames) - len(frames) % (width * channels)
        samples = np.frombuffer(frames[:usable], "<f4" if bits == 32 else "<f8").astype(np.float64)
    else:
        kind = {PCM: "PCM", IEEE_FLOAT: "float"}.get(tag, f"format tag 0x{tag:04x}")
        raise WavError(f"{path}: {kind} with {bits} bits is not supported "
                       "(use 16/24/32-bit PCM or 32/64-bit float)")
    if not np.all(np.isfinite(samples)):
        raise WavError(f"{path}: holds NaN or infinite samples")
    return samples.astype(np.float32).reshape(-1, channels), int(rate)


def read_mono(path: Path | str, role: str = "file") -> tuple[np.ndarray, int]:
    """A mono WAV as (float32 samples, rate); ``role`` ("input", "target") goes
    into the error message of a stereo or empty file."""
    samples, rate = read(path)
    if samples.shape[1] != 1:
        raise WavError(f"{path}: the {role} has {samples.shape[1]} channels; a mono file is needed "
                       "(take one channel first, e.g. sox IN.wav OUT.wav remix 1)")
    if len(samples) == 0:
        raise WavError(f"{path}: the {role} has no samples")
    return np.ascontiguousarray(samples[:, 0]), rate


def encode(samples: np.ndarray, rate: int, float32: bool = False) -> bytes:
    """The bytes of a mono WAV: 16-bit PCM (clipped to [-1, 1], rounded) or 32-bit float."""
    samples = np.asarray(samples, dtype=np.float64).reshape(-1)
    if float32:
        payload, tag, bits = samples.astype("<f4").tobytes(), IEEE_FLOAT, 32
    else:
        payload, tag, bits = np.round(np.clip(samples, -1.0, 1.0) * 32767.0).astype("<i2").tobytes(), PCM, 16
    width = bits // 8
    header = struct.pack("<4sI4s4sIHHIIHH4sI", b"RIFF", 36 + len(payload), b"WAVE", b"fmt ", 16, tag, 1,
                         int(rate), int(rate) * width, width, bits, b"data", len(payload))
    return header + payload


def write(path: Path | str, samples: np.ndarray, rate: int, float32: bool = False) -> None:
    """Writes a mono WAV in one step (never a half-written file); see ``encode``."""
    write_atomically(Path(path), encode(samples, rate, float32))
