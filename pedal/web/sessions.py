"""Who is logged in to the web page, and who is trying too often.

    >>> sessions = Sessions()
    >>> session = sessions.open()                 # after a good password: its token goes in the cookie
    >>> sessions.find(session.token).csrf          # the page sends this back with every change
    >>> limiter = LoginLimiter()
    >>> limiter.wait_s("192.0.2.7")                # 0.0, or how long this address must wait

Sessions live in pedal-web's memory only: a restart logs everyone out, which on a pedal is a
feature. Tokens are 256 random bits, compared in constant time.
"""

from __future__ import annotations

import hmac
import secrets
import time
from dataclasses import dataclass

__all__ = ["LoginLimiter", "Session", "Sessions"]

SESSION_S = 7 * 24 * 3600     # a session lasts a week of gigs, then the password is asked again
MAX_SESSIONS = 64


@dataclass
class Session:
    token: str
    csrf: str
    expires: float
    password: str | None = None   # which password it was opened under (pedal.web.passwords.generation)


class Sessions:
    def __init__(self, clock=time.monotonic) -> None:
        self._clock = clock
        self._sessions: dict[str, Session] = {}

    def open(self, password: str | None = None) -> Session:
        self._forget_expired()
        if len(self._sessions) >= MAX_SESSIONS:   # the oldest goes
            del self._sessions[min(self._sessions, key=lambda t: self._sessions[t].expires)]
        session = Session(secrets.token_urlsafe(32), secrets.token_urlsafe(32), self._clock() + SESSION_S, password)
        self._sessions[session.token] = session
        return session

    def find(self, token: str | None, password: str | None = None) -> Session | None:
        """The session of ``token``, unless it expired or was opened under another password."""
        if not token:
            return None
        session = self._sessions.get(token)
        if session is None or not hmac.compare_digest(session.token, token) or session.expires < self._clock():
            return None
        if session.password != password:       # `pedalctl web password` changed it meanwhile
            return None
        return session

    def close(self, token: str | None) -> None:
        self._sessions.pop(token or "", None)

    def close_all(self) -> None:
        """A new password logs everyone out."""
        self._sessions.clear()

    def _forget_expired(self) -> None:
        now = self._clock()
        for token in [t for t, s in self._sessions.items() if s.expires < now]:
            del self._sessions[token]


class LoginLimiter:
    """At most ``tries`` failed logins per address in ``window_s``; then that address waits."""

    def __init__(self, tries: int = 5, window_s: float = 60.0, clock=time.monotonic) -> None:
        self.tries, self.window_s, self._clock = tries, window_s, clock
        self._failures: dict[str, list[float]] = {}

    def wait_s(self, address: str) -> float:
        now = self._clock()
        recent = [t for t in self._failures.get(address, []) if now - t < self.window_s]
        self._failures[address] = recent
        if len(recent) < self.tries:
            return 0.0
        return self.window_s - (now - recent[0])

    def failed(self, address: str) -> None:
        self._failures.setdefault(address, []).append(self._clock())

    def succeeded(self, address: str) -> None:
        self._failures.pop(address, None)
