"""pedalctl --host USER@HOST ...: the same command, run on the pedal over SSH.

    pedalctl --host pi@pedal.local upload amp.nam --select
    # runs: ssh pi@pedal.local -- pedalctl upload - --select --name amp   (amp.nam on ssh's stdin)

Only ssh and this package are needed on the laptop. A local file argument of
``upload``, ``ir upload`` and ``rig import`` is streamed on ssh's stdin (the
remote pedalctl reads "-"), with ``--name`` defaulting to the file's name as it
would locally (not for a rig, whose bundle names it); ``rig export -o FILE``
writes the bundle the pedal sends on ssh's stdout into the local FILE.
Everything else is passed through as typed. ``PEDAL_SSH`` replaces the ssh
command (e.g. "ssh -p 2222 -i key"), ``--ssh-option OPT`` adds ``-o OPT``, and
``PEDAL_REMOTE_PEDALCTL`` names pedalctl on the pedal (default "pedalctl").
"""

from __future__ import annotations

import argparse
import os
import shlex
import subprocess
from pathlib import Path

from pedal.cli import build_parser
from pedal.cli.common import CliError
from pedal.files import write_atomically

__all__ = ["remote_argv", "run_remote", "ssh_command"]

_LOCAL = {"render"}   # works on files of this machine: run it here


def _strip_ssh_options(argv: list[str]) -> list[str]:
    kept, skip = [], False
    for token in argv:
        if skip:
            skip = False
            continue
        if token in ("--host", "--ssh-option"):
            skip = True
            continue
        if token.startswith(("--host=", "--ssh-option=")):
            continue
        kept.append(token)
    return kept


def _options_taking_a_value(parser: argparse.ArgumentParser) -> set[str]:
    """Every option of ``parser`` and of its commands that takes a value (``--name NAME``, not
    ``--json``). Read from pedalctl's own parser rather than listed here, so that an option
    added to a command is never missing."""
    found = set()
    for action in parser._actions:  # argparse has no public way to list a parser's arguments
        if isinstance(action, argparse._SubParsersAction):
            for command in action.choices.values():
                found |= _options_taking_a_value(command)
        elif action.option_strings and action.nargs != 0:  # nargs 0: a flag (store_true, help)
            found.update(action.option_strings)
    return found


def _positionals(tokens: list[str]) -> list[int]:
    """Indices of the positional tokens (not options, not option values)."""
    valued = _options_taking_a_value(build_parser())
    found, skip = [], False
    for index, token in enumerate(tokens):
        if skip:
            skip = False
        elif token in valued:
            skip = True
        elif token.startswith("-") and token != "-":
            continue
        else:
            found.append(index)
    return found


def _sub(args, command: str, action_key: str, action: str) -> bool:
    return args.command == command and getattr(args, action_key, None) == action


def remote_argv(args, argv: list[str]) -> tuple[list[str], Path | None]:
    """(pedalctl's arguments on the pedal, the local file to stream on stdin or None)."""
    tokens = _strip_ssh_options(argv)
    if args.command in _LOCAL or (args.command == "tune" and args.file):
        raise CliError(f"{args.command} {'--file ' if args.command == 'tune' else ''}works on files here; "
                       "run it without --host")
    if _sub(args, "rig", "rig_command", "export"):   # the bundle comes back on stdout
        return [("-" if previous in ("-o", "--output") else token) for previous, token in zip([""] + tokens, tokens)
                if not token.startswith("--output=")], None
    imports = _sub(args, "rig", "rig_command", "import")
    uploads = args.command == "upload" or _sub(args, "ir", "ir_action", "upload") or imports
    if not uploads or args.file == "-":
        return tokens, None
    positions = _positionals(tokens)
    # upload FILE: positionals are [upload, FILE]; ir upload FILE, rig import FILE: [ir|rig, upload|import, FILE]
    file_index = positions[1 if args.command == "upload" else 2]
    local = Path(tokens[file_index])
    tokens[file_index] = "-"
    if not args.name and not imports:
        tokens += ["--name", local.stem]
    return tokens, local


def ssh_command(host: str, ssh_options: list[str], remote: list[str]) -> list[str]:
    ssh = shlex.split(os.environ.get("PEDAL_SSH", "ssh"))
    for option in ssh_options:
        ssh += ["-o", option]
    pedalctl = shlex.split(os.environ.get("PEDAL_REMOTE_PEDALCTL", "pedalctl"))
    return ssh + [host, "--", shlex.join(pedalctl + remote)]


def run_remote(args, argv: list[str]) -> int:
    remote, local = remote_argv(args, argv)
    command = ssh_command(args.host, args.ssh_option or [], remote)
    try:
        if local is not None:
            try:
                source = open(local, "rb")
            except OSError as error:
                raise CliError(f"cannot read {local}: {error.strerror or error}") from None
            with source:
                result = subprocess.run(command, stdin=source)
        elif _sub(args, "rig", "rig_command", "export") and args.output != "-":
            result = subprocess.run(command, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE)
            if result.returncode == 0:
                try:
                    write_atomically(Path(args.output), result.stdout)
                except OSError as error:
                    raise CliError(f"cannot write {args.output}: {error.strerror or error}") from None
                print(f"wrote {args.output}: {len(result.stdout) / 1024:.1f} KiB from {args.host}")
        else:
            reads_stdin = "-" in remote
            result = subprocess.run(command, stdin=None if reads_stdin else subprocess.DEVNULL)
    except FileNotFoundError:
        raise CliError(f"cannot run {command[0]!r} (install OpenSSH's client, or set PEDAL_SSH)") from None
    if result.returncode == 255:
        raise CliError(f"ssh to {args.host} failed (exit status 255; see ssh's message above)", status=255)
    return result.returncode
