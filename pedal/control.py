"""The control protocol: JSON lines over a Unix socket, between pedald and its clients.

Each request is one JSON object on one line; each gets one JSON line back:

    -> {"cmd": "select", "name": "ts9"}
    <- {"ok": true, "model": "ts9", ...}
    -> {"cmd": "warp"}
    <- {"ok": false, "error": "unknown command 'warp'; known: status, list, ..."}

Commands (pedal.commands checks them, with the engine's ranges from pedal.core.PARAMS;
pedal.daemon's Pedal acts):

    status                                what plays, bypass, levels, latency, CPU, xruns
    list                                  the models, in footswitch order
    select {"name": N} | {"index": I}     play a model
    next, prev                            the footswitch's moves
    bypass [{"on": true|false}]           set, or toggle without "on"
    set {"input_gain_db": x, "output_level_db": y}
    reload                                read the models directory again (after pedalctl upload, remove, ...)
    eq {"bass_db", "mid_db", "treble_db", "on"}   tone controls (dB)
    gate {"threshold_db", "on"}           noise gate (dBFS)
    ir {"action": "select", "name": N} | {"action": "off"} | {"action": "list"}   cabinet impulse response
    info {"name": N}                      a model: format, architecture, parameters, rate, figures, submodels
    size {"name": N[, "size": S, "force": F]}   a model with submodels (NAM A2) plays the one size S (0..1)
                                          picks, live and kept; without "size": as info
    tuner [{"on": true|false}]            open or close the tuner (toggle without "on"); while open the
                                          output is muted (or passes dry: [tuner] output = "through")
    tuner {"watch": true}                 a stream: one line per reading (20 a second) while tuning,
                                          {"tuning": false} when it closes and each second while closed;
                                          it goes on until the client hangs up
    midi                                  the MIDI ports, channel and mapping (CC -> target, learned or not)
    midi {"learn": T[, "seconds": S]}     the next CC to arrive moves target T from now on (kept in the state)
    midi {"forget": T}                    drop what was learned for T (pedal.toml's mapping applies again)
    midi {"watch": true}                  a stream: each message as it arrives and what it did
    claim [{"seconds": S}]                waits up to S (30) s for a footswitch press and uses it up: the web
                                          page's proof that the one setting its password stands at the pedal
    press {"pin": P, "seconds": S}        only with PEDAL_GPIO_MOCK=1 (mock pins): hold footswitch pin P
                                          down for S seconds (0..5), as a foot would

The server half runs in its own threads inside pedald:

    >>> server = ControlServer("/run/pedal/control.sock", handlers, group="pedal")
    >>> server.start()
    >>> server.close()

and the client half is one call (pedalctl uses it):

    >>> request("/run/pedal/control.sock", {"cmd": "status"})
    {'ok': True, 'model': 'ts9', ...}
    >>> for line in stream("/run/pedal/control.sock", {"cmd": "tuner", "watch": True}): ...

or, for a client that asks again and again (pedal-web), a connection kept open:

    >>> with KeptConnection("/run/pedal/control.sock") as pedald:
    ...     pedald.ask({"cmd": "status"}); pedald.ask({"cmd": "list"})

A handler answers a stream by returning a Stream: each of its items goes to the client as
a line of its own, on that connection's thread, until the client hangs up.

A malformed request gets an error response; nothing a client sends stops the server.
Only root, the daemon's own user and members of ``group`` may talk to it: the
socket's mode says so, and each connection's credentials (SO_PEERCRED) are
checked too, so a socket with looser permissions still refuses others, with a
line saying how to join the group.
"""

from __future__ import annotations

import contextlib
import grp
import json
import logging
import os
import socket
import pwd
import socketserver
import stat
import struct
import threading
from pathlib import Path
from typing import Callable, Iterator

log = logging.getLogger(__name__)

__all__ = ["COMMANDS", "ControlError", "ControlServer", "DEFAULT_SOCKET", "KeptConnection", "Stream", "handle_line",
           "join_hint", "peer_refusal", "request", "stream"]

DEFAULT_SOCKET = "/run/pedal/control.sock"
COMMANDS = ("status", "list", "select", "next", "prev", "bypass", "set", "reload", "eq", "gate", "ir", "size",
            "info", "tuner", "midi", "claim")
MAX_LINE = 64 * 1024
Handler = Callable[[dict], dict]


class ControlError(ValueError):
    """A request the daemon refuses; the message goes back to the client as "error"."""


class Stream:
    """A handler's answer that goes on: each item (a dict) is sent as a line of its own, with
    "ok": true, until the items end or the client hangs up (then the iterator is closed)."""

    def __init__(self, items: Iterator[dict]) -> None:
        self.items = items


def _error(message: str) -> dict:
    return {"ok": False, "error": message}


def handle_line(line: bytes | str, handlers: dict[str, Handler]) -> dict | Stream:
    """The response to one request line, or the Stream a handler answered with (never raises)."""
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
    if isinstance(result, Stream):
        return result
    response = {"ok": True}
    response.update(result or {})
    return response


def join_hint(user: str, group: str) -> str:
    """The one line that tells someone outside the group how to get in."""
    return (f"permission denied: user {user!r} is not in group {group!r}, which may control the pedal; "
            f"join it with `sudo usermod -aG {group} {user}`, then log out and in again")


def _user_name(uid: int) -> str:
    try:
        return pwd.getpwuid(uid).pw_name
    except KeyError:
        return str(uid)


def _peer_groups(pid: int, uid: int, gid: int) -> set[int]:
    """The groups the connecting process really has (/proc), else its user's from the group database."""
    try:
        with open(f"/proc/{pid}/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("Groups:"):
                    return {gid, *map(int, line.split()[1:])}
    except (OSError, ValueError):
        pass
    try:
        return set(os.getgrouplist(pwd.getpwuid(uid).pw_name, gid))
    except (KeyError, OSError):
        return {gid}


def peer_refusal(connection: socket.socket, group: str | None) -> str | None:
    """None when the process on the other end may use the socket, else the reason.
    Allowed: root, our own user, members of ``group`` (our own group when it does not exist)."""
    try:
        pid, uid, gid = struct.unpack("3i", connection.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED,
                                                                 struct.calcsize("3i")))
    except OSError:
        return None  # not a Unix socket with credentials (never the case for ours)
    if uid in (0, os.geteuid()):
        return None
    try:
        wanted = grp.getgrnam(group).gr_gid if group else os.getegid()
    except KeyError:
        wanted = os.getegid()
    if wanted in _peer_groups(pid, uid, gid):
        return None
    return join_hint(_user_name(uid), group or grp.getgrgid(wanted).gr_name)


class _Connection(socketserver.StreamRequestHandler):
    def handle(self) -> None:
        refusal = peer_refusal(self.request, getattr(self.server, "group", None))
        if refusal is not None:
            log.warning("control: refused a connection: %s", refusal)
            self._send(_error(refusal))
            return
        while True:
            try:
                line = self.rfile.readline(MAX_LINE + 1)
            except OSError:  # reset by a client that was killed mid-request
                return
            if not line:
                return
            if len(line) > MAX_LINE and not line.endswith(b"\n"):
                self._send(_error(f"request longer than {MAX_LINE} bytes"))
                return
            if not line.strip():
                continue
            response = handle_line(line, self.server.handlers)
            if isinstance(response, Stream):
                self._stream(response)
                return
            self._send(response)

    def _stream(self, stream: Stream) -> None:
        try:
            for item in stream.items:
                if not self._send({"ok": True, **item}):
                    return
        finally:
            close = getattr(stream.items, "close", None)
            if close is not None:
                close()

    def _send(self, response: dict) -> bool:
        """False when the client has gone."""
        try:
            data = json.dumps(response, allow_nan=False)
        except ValueError:  # a NaN or infinity slipped into a figure
            data = json.dumps(json.loads(json.dumps(response), parse_constant=lambda _: None))
        try:
            self.wfile.write(data.encode() + b"\n")
            self.wfile.flush()
        except OSError:  # the client went away (e.g. a killed pedalctl): nothing to answer
            return False
        return True


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
        server.group = self.group
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
    with _sent(socket_path, message, timeout) as connection:
        reply = bytearray()
        while not reply.endswith(b"\n"):
            chunk = connection.recv(65536)
            if not chunk:
                break
            reply += chunk
    return _response(bytes(reply))


def stream(socket_path: Path | str, message: dict, timeout: float = 5.0) -> Iterator[dict]:
    """Sends one request whose answer is a stream, and yields each line of it (a dict with
    "ok") until the daemon ends it. Raises as ``request`` does; TimeoutError when no line
    comes for ``timeout`` seconds. Closing the generator hangs up."""
    with _sent(socket_path, message, timeout) as connection, connection.makefile("rb") as lines:
        for line in lines:
            yield _response(line)


class KeptConnection:
    """One connection to the daemon for many requests, one at a time. pedald gives each connection
    a thread of its own and checks its credentials; a client polling five times a second through
    ``request`` would have it start and end dozens of threads a second beside the audio thread.

    ``ask`` raises as ``request`` does. A connection the daemon closed while idle (it restarted)
    is opened again once: the request never reached a daemon then. After a timeout, a
    connection lost mid-answer or an answer that is not one, the connection is closed (a late
    answer must not be read as the next one's), and the next ``ask`` opens another.
    """

    def __init__(self, socket_path: Path | str, timeout: float = 5.0) -> None:
        self.socket_path, self.timeout = socket_path, timeout
        self._socket: socket.socket | None = None
        self._lines = None

    def ask(self, message: dict, timeout: float | None = None) -> dict:
        line = json.dumps(message).encode() + b"\n"
        if self._socket is not None:
            try:
                self._socket.sendall(line)
            except OSError:   # the daemon closed it (EPIPE): nothing was asked
                self.close()
        if self._socket is None:
            self._open()
            try:
                self._socket.sendall(line)
            except OSError:
                self.close()
                raise
        self._socket.settimeout(self.timeout if timeout is None else timeout)
        try:
            answer = self._lines.readline()
            if not answer:
                raise ConnectionResetError("the daemon closed the connection before answering")
            return _response(answer)
        except (OSError, ControlError):   # gone, late or out of step: a later answer must not be read
            self.close()
            raise

    def _open(self) -> None:
        connection = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            connection.settimeout(self.timeout)
            connection.connect(str(self.socket_path))
        except OSError:
            connection.close()
            raise
        self._socket, self._lines = connection, connection.makefile("rb")

    def close(self) -> None:
        if self._socket is not None:
            self._lines.close()
            self._socket.close()
            self._socket = self._lines = None

    def __enter__(self) -> "KeptConnection":
        return self

    def __exit__(self, *_) -> None:
        self.close()


@contextlib.contextmanager
def _sent(socket_path: Path | str, message: dict, timeout: float):
    """A connection to the daemon with ``message`` sent on it."""
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as connection:
        connection.settimeout(timeout)
        connection.connect(str(socket_path))
        connection.sendall(json.dumps(message).encode() + b"\n")
        yield connection


def _response(line: bytes) -> dict:
    """One line of the daemon's answer, checked."""
    try:
        response = json.loads(line)
    except ValueError:
        raise ControlError(f"the daemon's answer is not a JSON line: {line[:200]!r}") from None
    if not isinstance(response, dict) or "ok" not in response:
        raise ControlError(f"the daemon's answer is not a response: {response!r}")
    return response
