"""pedalctl tune --file TAKE.wav: a recording read by the pedal's tuner, one reading per 50 ms.

    pedalctl tune --file take.wav              # time, note, cents, Hz, confidence: a line each
    pedalctl tune --file take.wav --json       # one JSON object per line
    pedalctl tune --file bass.wav --a4 442 --channel 1

The same detector the pedal tunes with (pedal.tuner, the core's McLeod pitch detector), with
the note held steady as the pedal shows it: a player can check a take, and tests need no daemon.
"""

from __future__ import annotations

import json

from pedal import tuner
from pedal.cli.common import Cli, CliError, parent_options
from pedal.wavfile import WavError, read_wav

__all__ = ["register"]


def register(commands, parent=None) -> None:
    parent = parent or parent_options()
    command = commands.add_parser("tune", parents=[parent], help="the tuner: a recording's notes, to the cent")
    command.add_argument("--file", required=True, metavar="TAKE.wav", help="a WAV recording to read")
    command.add_argument("--channel", type=int, default=0, help="which channel of the file (from 0)")
    command.add_argument("--a4", type=float, default=tuner.DEFAULT_A4, metavar="HZ",
                         help=f"the reference A4, {tuner.A4_RANGE[0]:g}..{tuner.A4_RANGE[1]:g} Hz (default %(default)g)")
    command.set_defaults(run=run_tune)


def run_tune(cli: Cli) -> int:
    args = cli.args
    try:
        tuner.check_a4(args.a4)
    except ValueError as error:
        raise CliError(str(error)) from None
    try:
        samples, rate = read_wav(args.file)
    except (WavError, OSError) as error:
        raise CliError(str(error)) from None
    if not 0 <= args.channel < samples.shape[1]:
        raise CliError(f"{args.file} has {samples.shape[1]} channel(s); --channel counts from 0")
    readings = tuner.read_take(samples[:, args.channel], rate, a4=args.a4)
    for reading in readings:
        print(json.dumps(reading.as_dict()) if cli.json else reading.line(), file=cli.stdout)
    cli.stdout.flush()
    return 0
