"""pedalctl system: the Pi itself.

    sudo pedalctl system readonly on       # root file system read-only from the next boot
    pedalctl system readonly status --json

The work is pedal.readonly's (raspi-config's overlay file system with only
/var/lib/pedal writable); this module only gives it its place in pedalctl.
"""

from __future__ import annotations

from pedal.cli.common import Cli

__all__ = ["register"]


def register(commands, parent=None) -> None:
    system = commands.add_parser("system", help="the Pi itself: read-only root file system",
                                 description="Settings of the Pi the pedal runs on.")
    actions = system.add_subparsers(dest="system_command", metavar="ACTION", required=True)
    register_readonly(actions, parent)


def register_readonly(actions, parent) -> None:
    parents = [parent] if parent is not None else []
    command = actions.add_parser("readonly", parents=parents, help="read-only root file system (on, off, status)",
                                 description="The root file system as an overlay in RAM, so a power cut "
                                             "cannot damage it; only the models and state stay writable.")
    command.add_argument("mode", choices=("on", "off", "status"))
    command.set_defaults(run=run_readonly)


def run_readonly(cli: Cli) -> int:
    from pedal import readonly
    return readonly.main([cli.args.mode] + (["--json"] if cli.json else []))
