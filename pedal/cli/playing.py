"""pedalctl select, next, prev, bypass: what the footswitch does, from a shell.

    pedalctl select plexi        # or its number in `pedalctl list` (from 1)
    pedalctl next
    pedalctl bypass toggle
"""

from __future__ import annotations

from pedal.cli.common import Cli, CliError, parent_options

__all__ = ["register"]


def register(commands, parent=None) -> None:
    parent = parent or parent_options()
    register_select(commands, parent)
    register_next(commands, parent)
    register_prev(commands, parent)
    register_bypass(commands, parent)


def _playing(now: dict) -> str:
    if now.get("rig") is not None:
        what = f"rig {now['rig']}: {' -> '.join(now.get('captures') or [])}"
    else:
        what = f"{now.get('model')}" + (f" ({now['index'] + 1})" if isinstance(now.get("index"), int) else "")
    return f"playing {what}" + (", bypassed" if now.get("bypass") else "")


def register_select(commands, parent) -> None:
    command = commands.add_parser("select", parents=[parent], help="play a model, by name or number")
    command.add_argument("model", metavar="NAME|INDEX", help="a name, or a number from `pedalctl list` (1 = first)")
    command.set_defaults(run=run_select)


def run_select(cli: Cli) -> int:
    wanted = cli.args.model
    try:
        now = cli.ask("select", name=wanted)
    except CliError:
        if not wanted.isdigit():
            raise
        number = int(wanted)
        if number < 1:
            raise CliError(f"models are numbered from 1 (as in `pedalctl list`), got {wanted}") from None
        now = cli.ask("select", index=number - 1)
    return cli.emit(now, _playing(now))


def register_next(commands, parent) -> None:
    command = commands.add_parser("next", parents=[parent], help="the next model (a short footswitch press)")
    command.set_defaults(run=lambda cli: _move(cli, "next"))


def register_prev(commands, parent) -> None:
    command = commands.add_parser("prev", parents=[parent], help="the previous model")
    command.set_defaults(run=lambda cli: _move(cli, "prev"))


def _move(cli: Cli, command: str) -> int:
    now = cli.ask(command)
    return cli.emit(now, _playing(now))


def register_bypass(commands, parent) -> None:
    command = commands.add_parser("bypass", parents=[parent], help="bypass the pedal (dry signal) or not")
    command.add_argument("state", choices=("on", "off", "toggle"), nargs="?", default="toggle")
    command.set_defaults(run=run_bypass)


def run_bypass(cli: Cli) -> int:
    fields = {} if cli.args.state == "toggle" else {"on": cli.args.state == "on"}
    now = cli.ask("bypass", **fields)
    return cli.emit(now, f"bypass {'on' if now['bypass'] else 'off'} ({now.get('rig') or now.get('model')})")
