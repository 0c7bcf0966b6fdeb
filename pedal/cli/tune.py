"""pedalctl tune: the pedal's tuner, live or on a recording.

    pedalctl tune                              # opens the tuner: one live line with a needle, until Ctrl-C
    pedalctl tune --json                       # one reading per line, 20 a second
    pedalctl tune --seconds 5 --a4 442         # for five seconds, against A4 = 442 Hz
    pedalctl tune --file take.wav [--json]     # a recording: time, note, cents, Hz, confidence every 50 ms
    pedalctl tune --file bass.wav --a4 442 --channel 1

Live, pedald's tuner listens (the output muted, or passing dry as [tuner] output says)
until Ctrl-C, ``--seconds``, or a footswitch press closes it. On a file, the same detector
(pedal.tuner, the core's McLeod pitch detector) with the note held steady as the pedal
shows it: a player can check a take, and tests need no daemon.
"""

from __future__ import annotations

import json
import time

from pedal import tuner
from pedal.cli.common import Cli, CliError, parent_options
from pedal.wavfile import WavError, read_wav

__all__ = ["needle", "register"]

NEEDLE_HALF = 20   # characters each side of the centre: 2.5 cents each


def register(commands, parent=None) -> None:
    parent = parent or parent_options()
    command = commands.add_parser("tune", parents=[parent], help="the tuner: live on the pedal, or a recording's "
                                                                 "notes, to the cent")
    command.add_argument("--file", metavar="TAKE.wav", help="read a WAV recording instead of the pedal's input")
    command.add_argument("--channel", type=int, default=0, help="which channel of the file (from 0)")
    command.add_argument("--a4", type=float, metavar="HZ",
                         help=f"the reference A4, {tuner.A4_RANGE[0]:g}..{tuner.A4_RANGE[1]:g} Hz (default: "
                              f"[tuner] a4 live, {tuner.DEFAULT_A4:g} on a file)")
    command.add_argument("--seconds", type=float, metavar="S", help="live: close the tuner after S seconds")
    command.set_defaults(run=run_tune)


def run_tune(cli: Cli) -> int:
    args = cli.args
    if args.a4 is not None:
        try:
            tuner.check_a4(args.a4)
        except ValueError as error:
            raise CliError(str(error)) from None
    return _read_file(cli) if args.file else _live(cli)


def _read_file(cli: Cli) -> int:
    args = cli.args
    try:
        samples, rate = read_wav(args.file)
    except (WavError, OSError) as error:
        raise CliError(str(error)) from None
    if not 0 <= args.channel < samples.shape[1]:
        raise CliError(f"{args.file} has {samples.shape[1]} channel(s); --channel counts from 0")
    readings = tuner.read_take(samples[:, args.channel], rate, a4=args.a4 or tuner.DEFAULT_A4)
    for reading in readings:
        print(json.dumps(reading.as_dict()) if cli.json else reading.line(), file=cli.stdout)
    cli.stdout.flush()
    return 0


def _live(cli: Cli) -> int:
    """Opens the tuner, shows what it hears, and closes it again however this ends."""
    args = cli.args
    cli.ask("tuner", on=True, **({"a4": args.a4} if args.a4 is not None else {}))
    drawn = getattr(cli.stdout, "isatty", lambda: False)() and not cli.json
    ends = time.monotonic() + args.seconds if args.seconds is not None else None
    seen_open = closed_by_pedal = False
    try:
        for line in cli.watch("tuner", watch=True):
            if not line.get("tuning"):
                if seen_open:  # it was open for us, and now is not: a footswitch press closed it
                    closed_by_pedal = True
                    break
                continue
            seen_open = True
            line.pop("ok", None)
            if cli.json:
                print(json.dumps(line), file=cli.stdout, flush=True)
            elif drawn:
                print(f"\r\033[K{_shown(line)}", end="", file=cli.stdout, flush=True)
            else:
                print(_shown(line), file=cli.stdout, flush=True)
            if ends is not None and time.monotonic() >= ends:
                break
    except KeyboardInterrupt:
        pass
    except BrokenPipeError:  # the reader went away (a pipe, ssh): close the tuner all the same
        pass
    finally:
        if drawn:
            print(file=cli.stdout, flush=True)
        if not closed_by_pedal:
            cli.try_ask("tuner", on=False)
    if closed_by_pedal:
        cli.note("the tuner was closed on the pedal (a footswitch press, or another client)")
    return 0


def needle(cents: float | None) -> str:
    """A needle over -50..+50 cents: "[---------|---------]" with "*" where the note is."""
    scale = ["-"] * (2 * NEEDLE_HALF + 1)
    scale[NEEDLE_HALF] = "|"
    if cents is not None:
        at = NEEDLE_HALF + round(max(-50.0, min(50.0, cents)) / 50.0 * NEEDLE_HALF)
        scale[at] = "*"
    return "[" + "".join(scale) + "]"


def _shown(line: dict) -> str:
    """One line for a person: "E2   -3.1 cents [--------*|----------]  82.26 Hz"."""
    if line.get("note") is None:
        return f"--        no note    {needle(None)}  ({line.get('level_db', -200):.0f} dBFS)"
    name = f"{line['note']}{line['octave']}"
    in_tune = "  in tune" if abs(line["cents"]) <= tuner.IN_TUNE_CENTS else ""
    return f"{name:<4} {line['cents']:+6.1f} cents {needle(line['cents'])} {line['hz']:8.2f} Hz{in_tune}"
