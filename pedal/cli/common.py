"""What every pedalctl command shares: options, the daemon, output, progress, errors.

A command is a function ``run(cli) -> int`` that reads ``cli.args`` and answers
with ``cli.emit(data, human)``: the JSON object for ``--json``, or lines with
units for a person. Refusals raise CliError (one line, exit status 1).

    >>> def run_next(cli):
    ...     now = cli.ask("next")
    ...     return cli.emit(now, f"playing {now['model']}")
"""

from __future__ import annotations

import argparse
import contextlib
import json
import sys
from pathlib import Path

from pedal.config import DEFAULT_PATH, ConfigError, load_config
from pedal.control import ControlError, join_hint, request, stream

__all__ = ["Cli", "CliError", "common_options", "parent_options"]


class CliError(Exception):
    """A refusal or failure, told in one line; pedalctl exits with ``status``."""

    def __init__(self, message: str, status: int = 1) -> None:
        super().__init__(message)
        self.status = status


def common_options(parser: argparse.ArgumentParser, suppress: bool = False) -> None:
    """Options every command takes, before or after its name (``suppress``: the
    subcommand's copy, which must not overwrite what was given before it)."""
    default = argparse.SUPPRESS if suppress else None
    parser.add_argument("--json", action="store_true", default=argparse.SUPPRESS if suppress else False,
                        help="print one JSON object (per refresh, for status --watch) for scripts")
    parser.add_argument("--config", metavar="FILE", default=default,
                        help=f"the pedal's settings (default {DEFAULT_PATH})")
    parser.add_argument("--socket", metavar="PATH", default=default,
                        help="pedald's control socket (default: [control] socket in the settings)")
    parser.add_argument("--library", metavar="DIR", default=default,
                        help="work on this models directory directly, without pedald (upload, list, remove, "
                             "rename, order): e.g. to prepare an SD card")


def parent_options() -> argparse.ArgumentParser:
    parent = argparse.ArgumentParser(add_help=False)
    common_options(parent, suppress=True)
    return parent


class Cli:
    """One invocation: parsed options, lazily loaded settings, the daemon, output."""

    def __init__(self, args: argparse.Namespace, stdout=None, stderr=None, stdin=None) -> None:
        self.args = args
        self.stdout = stdout or sys.stdout
        self.stderr = stderr or sys.stderr
        self.stdin = stdin or sys.stdin
        self._config = None
        self._status: dict | None = None

    @property
    def json(self) -> bool:
        return bool(getattr(self.args, "json", False))

    # --- settings and places -------------------------------------------------------------

    @property
    def config(self):
        if self._config is None:
            path = getattr(self.args, "config", None) or DEFAULT_PATH
            try:
                self._config = load_config(path)
            except ConfigError as error:
                raise CliError(str(error)) from None
        return self._config

    @property
    def socket_path(self) -> str:
        return getattr(self.args, "socket", None) or self.config.control.socket

    @property
    def library_given(self) -> bool:
        return getattr(self.args, "library", None) is not None

    def daemon_status(self) -> dict | None:
        """pedald's status, or None when it does not run (never with --library)."""
        if self.library_given:
            return None
        if self._status is None:
            self._status = self.try_ask("status")
        return self._status

    def models_dir(self) -> Path:
        """--library, else the directory pedald plays from, else the settings'."""
        if self.library_given:
            return Path(self.args.library)
        status = self.daemon_status()
        if status and status.get("models_dir"):
            return Path(status["models_dir"])
        return Path(self.config.library.models_dir)

    def rate_and_period(self) -> tuple[int, int]:
        """What the pedal plays at: pedald's actual rate and period when it runs, else the settings'."""
        status = self.daemon_status()
        if status and status.get("rate") and status.get("period"):
            return int(status["rate"]), int(status["period"])
        return self.config.audio.rate, self.config.audio.period

    # --- the daemon ------------------------------------------------------------------------

    def ask(self, command: str, timeout: float = 30.0, **fields) -> dict:
        """Sends a command to pedald; its answer, or CliError with the reason."""
        with self._talking():
            answer = request(self.socket_path, dict(fields, cmd=command), timeout=timeout)
        if not answer.get("ok"):
            raise CliError(answer.get("error", "pedald refused"))
        return answer

    def watch(self, command: str, timeout: float = 5.0, **fields):
        """Sends a command whose answer is a stream; yields each line (CliError as ask)."""
        with self._talking():
            for answer in stream(self.socket_path, dict(fields, cmd=command), timeout=timeout):
                if not answer.get("ok"):
                    raise CliError(answer.get("error", "pedald refused"))
                yield answer

    @contextlib.contextmanager
    def _talking(self):
        """pedald's absence, a refused socket or a broken answer, as CliError."""
        try:
            yield
        except (FileNotFoundError, ConnectionRefusedError):
            raise CliError(f"pedald is not running (nothing answers on {self.socket_path}); start it with "
                           "`sudo systemctl start pedald`, or use --library DIR for the library commands") from None
        except PermissionError:
            import getpass
            raise CliError(f"cannot use {self.socket_path}: " +
                           join_hint(getpass.getuser(), self.config.control.group)) from None
        except (OSError, ControlError) as error:
            raise CliError(f"pedald on {self.socket_path}: {error}") from None

    def try_ask(self, command: str, **fields) -> dict | None:
        """Like ask, but None when no daemon runs (other refusals still raise)."""
        try:
            return self.ask(command, **fields)
        except CliError as error:
            if str(error).startswith("pedald is not running"):
                return None
            raise

    # --- output ------------------------------------------------------------------------------

    def emit(self, data: dict, human: str | None) -> int:
        if self.json:
            print(json.dumps(dict({"ok": True}, **data)), file=self.stdout, flush=True)
        elif human:
            print(human, file=self.stdout, flush=True)
        return 0

    def progress(self, message: str) -> None:
        """Long work says what it does, on stderr (stdout stays clean for --json)."""
        if getattr(self.stderr, "isatty", lambda: False)():
            print(f"\r\033[K{message}", end="", file=self.stderr, flush=True)
        else:
            print(f"pedalctl: {message}", file=self.stderr, flush=True)

    def progress_done(self) -> None:
        if getattr(self.stderr, "isatty", lambda: False)():
            print("\r\033[K", end="", file=self.stderr, flush=True)

    def note(self, message: str) -> None:
        print(f"pedalctl: {message}", file=self.stderr, flush=True)
