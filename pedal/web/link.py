"""pedal-web's only way to pedald: the control socket (pedal.control), asked from a worker
thread so the web server's event loop never blocks on it. Connections are kept between
requests (pedal.control.KeptConnection), one per request in flight, so that a page polling
pedald costs it no thread starts.

    >>> link = PedaldLink("/run/pedal/control.sock")
    >>> await link.ask("select", name="Crunch")
    {'ok': True, 'model': ...}
"""

from __future__ import annotations

import asyncio
import functools
import threading

from pedal.control import ControlError, KeptConnection

__all__ = ["LinkError", "PedaldLink"]

KEPT = 4   # idle connections kept: the page's few requests at once (status, live view, an action)


class LinkError(Exception):
    """pedald refused (its one-line reason) or cannot be reached."""


class PedaldLink:
    def __init__(self, socket_path: str) -> None:
        self.socket_path = socket_path
        self._idle: list[KeptConnection] = []
        self._lock = threading.Lock()   # the worker threads share the idle connections

    async def ask(self, command: str, timeout: float = 10.0, **fields) -> dict:
        call = functools.partial(self._ask, dict(fields, cmd=command), timeout)
        try:
            answer = await asyncio.get_running_loop().run_in_executor(None, call)
        except ControlError as error:
            raise LinkError(str(error)) from None
        except OSError as error:
            raise LinkError(f"pedald is not answering ({error.strerror or error})") from None
        if not answer.get("ok", False):
            raise LinkError(answer.get("error", "pedald refused"))
        return answer

    def close(self) -> None:
        with self._lock:
            idle, self._idle = self._idle, []
        for connection in idle:
            connection.close()

    def _ask(self, message: dict, timeout: float) -> dict:
        with self._lock:
            connection = self._idle.pop() if self._idle else KeptConnection(self.socket_path)
        answer = connection.ask(message, timeout)   # one that failed has closed itself and is dropped
        with self._lock:
            if len(self._idle) < KEPT:
                self._idle.append(connection)
                connection = None
        if connection is not None:
            connection.close()
        return answer
