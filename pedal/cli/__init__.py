"""pedalctl: the pedal from a shell, locally or over SSH.

    pedalctl upload amp.nam --select        # validate, store crash-safely, play
    pedalctl list | select NAME | next | prev | bypass on|off|toggle
    pedalctl rig new crunch --capture TS9 --capture "Blues Junior" --ir "v30 4x12"
    pedalctl status --watch
    pedalctl --host pi@pedal.local upload amp.nam
    pedalctl --library /media/sd/var/lib/pedal/models list

Every command takes --json. One module per group of commands (library,
playing, sound, rigs, status, offline, tune, midi, web, system), each registering one function per command;
a new command is a ``register_x(commands, parent)`` beside the others.
"""

from __future__ import annotations

import argparse
import json
import sys

from pedal.cli import library, midi, offline, playing, rigs, sound, status, system, tune, web
from pedal.cli.common import Cli, CliError, common_options, parent_options

__all__ = ["build_parser", "main"]

GROUPS = (library, playing, status, sound, rigs, offline, tune, midi, web, system)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="pedalctl", description="Control the pedal: models, playing, sound, status.",
        epilog="Talks to pedald on its control socket; the user must be in group 'pedal'.")
    common_options(parser)
    parser.add_argument("--host", metavar="USER@HOST", help="run the command on the pedal over ssh")
    parser.add_argument("--ssh-option", action="append", metavar="OPT",
                        help="passed to ssh as -o OPT (repeatable); PEDAL_SSH replaces the ssh command")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    parent = parent_options()
    for group in GROUPS:
        group.register(commands, parent)
    return parser


def main(argv=None, stdout=None, stderr=None, stdin=None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    args = build_parser().parse_args(argv)
    cli = Cli(args, stdout=stdout, stderr=stderr, stdin=stdin)
    try:
        if args.host:
            from pedal.cli.remote import run_remote
            return run_remote(args, argv)
        return args.run(cli)
    except CliError as error:
        if cli.json:
            print(json.dumps({"ok": False, "error": str(error)}), file=cli.stdout, flush=True)
        print(f"pedalctl: {error}", file=cli.stderr, flush=True)
        return error.status
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
