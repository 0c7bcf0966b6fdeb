"""pedalctl web password: sets the password of the pedal's web page (pedal-web).

    pedalctl web password                # asks for it twice
    echo "$PASSWORD" | pedalctl web password --stdin

Only its salted scrypt hash is stored, in [web] password_file; whoever is logged in to the
page is logged out.
"""

from __future__ import annotations

import getpass

from pedal.cli.common import Cli, CliError, parent_options
from pedal.web.passwords import PasswordError, store_password

__all__ = ["register"]


def register(commands, parent=None) -> None:
    parent = parent or parent_options()
    command = commands.add_parser("web", parents=[parent], help="the web page for a phone: its password")
    actions = command.add_subparsers(dest="web_action", metavar="ACTION", required=True)
    password = actions.add_parser("password", parents=[parent], help="set the web page's password")
    password.add_argument("--stdin", action="store_true", help="read it from stdin (one line) instead of asking")
    password.set_defaults(run=run_password)


def run_password(cli: Cli) -> int:
    if cli.args.stdin:
        password = cli.stdin.readline().rstrip("\n")
    else:
        password = getpass.getpass("new web page password: ")
        if getpass.getpass("again: ") != password:
            raise CliError("the two passwords differ; nothing changed")
    path = cli.config.web.password_file
    try:
        store_password(path, password)
    except PasswordError as error:
        raise CliError(str(error)) from None
    except OSError as error:
        raise CliError(f"cannot write {path}: {error.strerror or error}") from None
    return cli.emit({"password_file": path}, f"web page password set (its hash is in {path})")
