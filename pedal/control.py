"""The control protocol: JSON lines over a Unix socket, between pedald and its clients.

Each request is one JSON object on one line; each gets one JSON line back:

    -> {"cmd": "select", "name": "ts9"}
    <- {"ok": true, "model": "ts9", ...}
    -> {"cmd": "warp"}
    <- {"ok": false, "error": "unknown command 'warp'; known: status, list, ..."}

Commands (the daemon implements them; see pedal.daemon):

    status                                what plays, bypass, levels, latency, CPU, xruns
    list                                  the models, in footswitch order
    select {"name": N} | {"index": I}     play a model
    next, prev                            the footswitch's moves
    bypass [{"on": true|false}]           set, or toggle without "on"
    set {"input_gain_db": x, "output_level_db": y}
    reload                                read the models directory again

The server half runs in its own threads inside pedald:

    >>> server = ControlServer("/run/pedal/control.sock", handlers, group="pedal")
    >>> server.start()
    >>> server.close()

and the client half is one call (pedalctl uses it):

    >>> request("/run/pedal/control.sock", {"cmd": "status"})
    {'ok': True, 'model': 'ts9', ...}

A malformed request gets an error response; nothing a client sends stops the server.
"""

from __future__ import annotations

import grp
import json
import logging
import os
import socket
import socketserver
import stat
import threading
from pathlib import Path
from typing import Callable

log = logging.getLogger(__name__)

__all__ = ["COMMANDS", "ControlError", "ControlServer", "DEFAULT_SOCKET", "handle_line", "request"]

DEFAULT_SOCKET = "/run/pedal/control.sock"
COMMANDS = ("status", "list", "select", "next", "prev", "bypass", "set", "reload")
MAX_LINE = 64 * 1024
Handler = Callable[[dict], dict]


class ControlError(ValueError):
    """A request the daemon refuses; the message goes back to the client as "error"."""


def _error(message: str) -> dict:
    return {"ok": False, "error": message}


def handle_line(line: bytes | str, handlers: dict[str, Handler]) -> dict:
    """The response to one request line (never raises)."""
    try:
        message = json.loads(line)
    except (ValueError, UnicodeDecodeError) as error:
        return _error(f"not a JSON line: {error}")
    if not isinstance(message, dict):
        return _error("a request is a JSON object, e.g. {\"cmd\": \"status\"}")
    command = message.get("cmd")
    if not isinstance(command, str):
        return _error("the request has no \"cmd\" string")
    handler = handlers.get(command)
    if handler is None:
        return _error(f"unknown command {command!r}; known: {', '.join(handlers)}")
    try:
        result = handler(message)
    except (ControlError, ValueError, TypeError, KeyError) as error:
        return _error(str(error) if not isinstance(error, KeyError) else f"missing {error}")
    except Exception as error:  # a bug in a handler: report it, keep serving
        log.exception("control: %s failed", command)
        return _error(f"internal error in {command}: {type(error).__name__}: {error}")
    response = {"ok": True}
    response.update(result or {})
    return response


class _Connection(socketserver.StreamRequestHandler):
    def handle(self) -> None:
        while True:
            line = self.rfile.readline(MAX_LINE + 1)
            if not line:
                return
            if len(line) > MAX_LINE and not line.endswith(b"\n"):
                self._send(_error(f"request longer than {MAX_LINE} bytes"))
                return
            if not line.strip():
                continue
            self._send(handle_line(line, self.server.handlers))

    def _send(self, response: dict) -> None:
        try:
            data = json.dumps(response, allow_nan=False)
        except ValueError:  # a NaN or infinity slipped into a figure
            data = json.dumps(json.loads(json.dumps(response), parse_constant=lambda _: None))
        self.wfile.write(data.encode() + b"\n")
        self.wfile.flush()


class _Server(socketserver.ThreadingMixIn, socketserver.UnixStreamServer):
    daemon_threads = True
    allow_reuse_address = False
    # A Unix socket refuses (EAGAIN) connections beyond the backlog instead of
    # queueing them: leave room for a burst of clients.
    request_queue_size = 64


def _someone_listens(path: Path) -> bool:
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as probe:
        probe.settimeout(0.5)
        try:
            probe.connect(str(path))
        except OSError:
            return False
    return True


class ControlServer:
    """The daemon's end of the control socket: one thread accepting, one per connection.

    ``handlers`` maps a command to a function taking the request (a dict) and
    returning the fields of the response; raising ControlError (or ValueError)
    answers {"ok": false, "error": message}. The socket gets ``mode`` and, when
    that group exists, ``group``.
    """

    def __init__(self, path: Path | str, handlers: dict[str, Handler], group: str | None = None,
                 mode: int = 0o660) -> None:
        self.path = Path(path)
        self.handlers = dict(handlers)
        self.group, self.mode = group, mode
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        """Creates the socket (and its directory) and starts serving. Raises
        ControlError when another daemon already listens there, OSError when
        the socket cannot be made."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        if self.path.exists() or self.path.is_symlink():
            if not stat.S_ISSOCK(self.path.lstat().st_mode):
                raise ControlError(f"{self.path} exists and is not a socket")
            if _someone_listens(self.path):
                raise ControlError(f"another pedald already listens on {self.path}")
            self.path.unlink()  # left by a daemon that died
        server = _Server(str(self.path), _Connection, bind_and_activate=True)
        server.handlers = self.handlers
        os.chmod(self.path, self.mode)
        self._set_group()
        self._server = server
        self._thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.2},
                                        name="pedal-control", daemon=True)
        self._thread.start()

    def _set_group(self) -> None:
        if not self.group:
            return
        try:
            gid = grp.getgrnam(self.group).gr_gid
        except KeyError:
            log.debug("control: no group %r; the socket keeps ours", self.group)
            return
        try:
            os.chown(self.path, -1, gid)
        except OSError as error:
            log.warning("control: cannot give %s to group %s (%s)", self.path, self.group, error)

    def close(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
            try:
                self.path.unlink()
            except FileNotFoundError:
                pass
        if self._thread is not None:
            self._thread.join(2.0)
            self._thread = None


def request(socket_path: Path | str, message: dict, timeout: float = 5.0) -> dict:
    """Sends one request to the daemon and returns its response (a dict with "ok").

    Raises OSError when the daemon is not there (FileNotFoundError,
    ConnectionRefusedError) or does not answer within ``timeout`` seconds
    (TimeoutError), and ControlError when the answer is not a response.
    """
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as connection:
        connection.settimeout(timeout)
        connection.connect(str(socket_path))
        connection.sendall(json.dumps(message).encode() + b"\n")
        reply = bytearray()
        while not reply.endswith(b"\n"):
            chunk = connection.recv(65536)
            if not chunk:
                break
            reply += chunk
    try:
        response = json.loads(reply)
    except ValueError:
        raise ControlError(f"the daemon's answer is not a JSON line: {bytes(reply[:200])!r}") from None
    if not isinstance(response, dict) or "ok" not in response:
        raise ControlError(f"the daemon's answer is not a response: {response!r}")
    return response
