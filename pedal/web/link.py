"""pedal-web's only way to pedald: the control socket (pedal.control), asked from a worker
thread so the web server's event loop never blocks on it.

    >>> link = PedaldLink("/run/pedal/control.sock")
    >>> await link.ask("select", name="Crunch")
    {'ok': True, 'model': ...}
"""

from __future__ import annotations

import asyncio
import functools

from pedal.control import ControlError, request

__all__ = ["LinkError", "PedaldLink"]


class LinkError(Exception):
    """pedald refused (its one-line reason) or cannot be reached."""


class PedaldLink:
    def __init__(self, socket_path: str) -> None:
        self.socket_path = socket_path

    async def ask(self, command: str, timeout: float = 10.0, **fields) -> dict:
        call = functools.partial(request, self.socket_path, dict(fields, cmd=command), timeout=timeout)
        try:
            answer = await asyncio.get_running_loop().run_in_executor(None, call)
        except ControlError as error:
            raise LinkError(str(error)) from None
        except OSError as error:
            raise LinkError(f"pedald is not answering ({error.strerror or error})") from None
        if not answer.get("ok", False):
            raise LinkError(answer.get("error", "pedald refused"))
        return answer
