"""pedalctl midi: the MIDI controller's ports and mapping, learning a CC, watching what arrives.

    pedalctl midi                       # ports, channel, which CC moves what (learned ones marked)
    pedalctl midi learn bypass          # move the controller's switch or knob: that CC moves bypass
    pedalctl midi forget bypass         # back to what pedal.toml maps
    pedalctl midi monitor [--json]      # each message as it arrives, and what it did, until Ctrl-C

A learned CC is kept in pedald's state file, on top of pedal.toml's [midi.cc].
"""

from __future__ import annotations

import json

from pedal.cli.common import Cli, parent_options
from pedal.midi.mapping import TARGETS
from pedal.midi.service import LEARN_S

__all__ = ["register", "shown"]


def register(commands, parent=None) -> None:
    parent = parent or parent_options()
    command = commands.add_parser("midi", parents=[parent], help="MIDI: ports and mapping, learn a CC, monitor")
    command.set_defaults(run=run_show)
    actions = command.add_subparsers(dest="midi_action", metavar="ACTION")
    learn = actions.add_parser("learn", parents=[parent], help="the next CC to arrive moves TARGET from now on")
    learn.add_argument("target", metavar="TARGET", choices=list(TARGETS), help=", ".join(TARGETS))
    learn.add_argument("--timeout", type=float, default=30.0, metavar="S",
                       help=f"seconds to wait for the CC ({LEARN_S[0]:g}..{LEARN_S[1]:g}, default 30)")
    learn.set_defaults(run=run_learn)
    forget = actions.add_parser("forget", parents=[parent], help="drop what was learned for TARGET")
    forget.add_argument("target", metavar="TARGET", choices=list(TARGETS), help=", ".join(TARGETS))
    forget.set_defaults(run=run_forget)
    monitor = actions.add_parser("monitor", parents=[parent], help="print each MIDI message as it arrives "
                                                                   "and what it did, until Ctrl-C")
    monitor.set_defaults(run=run_monitor)


def run_show(cli: Cli) -> int:
    answer = cli.ask("midi")
    return cli.emit(answer, _mapping(answer))


def run_learn(cli: Cli) -> int:
    args = cli.args
    cli.progress(f"move the control that should move {args.target} (waiting up to {args.timeout:g} s)")
    answer = cli.ask("midi", timeout=args.timeout + 5.0, learn=args.target, seconds=args.timeout)
    cli.progress_done()
    return cli.emit(answer, f"CC {answer['control']} moves {args.target}")


def run_forget(cli: Cli) -> int:
    answer = cli.ask("midi", forget=cli.args.target)
    human = (f"{cli.args.target}: learned CC dropped; pedal.toml's mapping applies" if answer["forgotten"]
             else f"{cli.args.target}: nothing learned")
    return cli.emit(answer, human)


def run_monitor(cli: Cli) -> int:
    try:
        for line in cli.watch("midi", watch=True):
            line.pop("ok", None)
            print(json.dumps(line) if cli.json else shown(line), file=cli.stdout, flush=True)
    except (KeyboardInterrupt, BrokenPipeError):
        pass
    return 0


def shown(line: dict) -> str:
    """One monitor line for a person."""
    if "did" in line:
        return f"  -> {line['did']}"
    if "missed" in line:
        return f"... {line['missed']} message(s) came faster than shown"
    if "kind" not in line:
        changes = [f"+ {name}" for name in line.get("opened", [])] + [f"- {name}" for name in line.get("closed", [])]
        return "ports: " + ("; ".join(changes) if changes else ", ".join(line["ports"]) or "none")
    where = f"{line['port']}  ch {line['channel']:>2}"
    if line["kind"] == "control_change":
        target = f"  ({line['target']})" if line.get("target") else ""
        return f"{where}  CC {line['control']:>3} = {line['value']:>3}{target}"
    if line["kind"] == "program_change":
        return f"{where}  program {line['program']}"
    return f"{where}  {line['kind'].replace('_', ' ')} {line.get('data', line.get('value'))}"


def _mapping(answer: dict) -> str:
    if not answer.get("enabled"):
        return "MIDI is off ([midi] enabled = false in pedal.toml)"
    lines = [f"ports: {', '.join(answer['ports']) or 'none'} ({answer['backend']})",
             f"channel: {answer['channel']}; program change N plays the Nth rig or model (from 0)"]
    for control, mapped in answer["cc"].items():
        lines.append(f"CC {control:>3}: {mapped['target']}{'  (learned)' if mapped['learned'] else ''}")
    if not answer["cc"]:
        lines.append("no CC mapped ([midi.cc] in pedal.toml, or pedalctl midi learn TARGET)")
    return "\n".join(lines)
