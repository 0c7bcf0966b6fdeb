"""The web page's password, kept as a salted scrypt hash in a file of its own; the password
itself is never written anywhere.

    >>> store_password(path, "correct horse")      # pedalctl web password, or the page's first use
    >>> check_password(path, "correct horse"), check_password(path, "wrong")
    (True, False)

The file is written atomically (pedal.files) and readable by its owner and group only. scrypt
with n = 2^14, r = 8 costs about 16 MiB and tens of milliseconds per try: cheap for a login,
dear for a guesser (the logins are rate-limited on top: pedal.web.sessions).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
from pathlib import Path

from pedal.files import write_atomically

__all__ = ["MIN_LENGTH", "PasswordError", "check_new", "check_password", "generation", "password_set",
           "store_password"]

MIN_LENGTH = 8
MAX_LENGTH = 1024
N, R, P = 2 ** 14, 8, 1
SALT_BYTES = 16


class PasswordError(ValueError):
    pass


def _derive(password: str, salt: bytes, n: int, r: int, p: int) -> bytes:
    return hashlib.scrypt(password.encode("utf-8"), salt=salt, n=n, r=r, p=p, maxmem=64 * 2 ** 20, dklen=32)


def check_new(password) -> str:
    """``password`` when it may be one; PasswordError saying why not."""
    if not isinstance(password, str) or not MIN_LENGTH <= len(password) <= MAX_LENGTH:
        raise PasswordError(f"a password is {MIN_LENGTH} to {MAX_LENGTH} characters")
    return password


def store_password(path: Path | str, password: str) -> None:
    salt = os.urandom(SALT_BYTES)
    record = {"scheme": "scrypt", "n": N, "r": R, "p": P, "salt": salt.hex(),
              "hash": _derive(check_new(password), salt, N, R, P).hex()}
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    write_atomically(path, (json.dumps(record) + "\n").encode(), mode=0o640)


def password_set(path: Path | str) -> bool:
    return _record(path) is not None


def generation(path: Path | str) -> str | None:
    """Which password is set (its hash; None: none): a session opened under another one is over."""
    record = _record(path)
    return None if record is None else record["hash"]


def check_password(path: Path | str, password) -> bool:
    record = _record(path)
    if record is None or not isinstance(password, str) or len(password) > MAX_LENGTH:
        return False
    derived = _derive(password, bytes.fromhex(record["salt"]), record["n"], record["r"], record["p"])
    return hmac.compare_digest(derived, bytes.fromhex(record["hash"]))


def _record(path: Path | str) -> dict | None:
    """The stored hash, or None when there is none (or it is unreadable: the page asks for a new one
    only after a footswitch press, so a damaged file locks nobody in and lets nobody in)."""
    try:
        record = json.loads(Path(path).read_text())
        if record.get("scheme") != "scrypt" or not all(isinstance(record.get(k), int) for k in ("n", "r", "p")):
            return None
        bytes.fromhex(record["salt"]), bytes.fromhex(record["hash"])
        return record
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return None
