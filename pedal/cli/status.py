"""pedalctl status [--watch]: what plays and how the audio runs.

    $ pedalctl status
    model      plexi (2 of 5)
    rig        crunch (1 of 3 rigs): TS9 -> plexi, live changes: eq.bass_db   (while a rig plays, instead)
    bypass     off
    tuner      open (mute, A4 = 440 Hz): E2 -3.1 cents                     (while tuning only)
    size       0.5: submodel 1 of 2 (WaveNet, 1871 parameters)     (models with submodels only)
    audio      running at 48000 Hz, period 128 frames (2.67 ms), SCHED_FIFO
    latency    5.98 ms round trip
    cpu        avg 12.3 %, max 40.1 % of the period
    ...

``--watch`` redraws it in place every ``--interval`` seconds (ANSI: cursor up,
clear to the end) until Ctrl-C, or ``--count`` times.
"""

from __future__ import annotations

import json
import time

from pedal.cli.common import Cli, parent_options

__all__ = ["format_status", "register"]


def register(commands, parent=None) -> None:
    parent = parent or parent_options()
    command = commands.add_parser("status", parents=[parent], help="what plays, latency, CPU, xruns, levels")
    command.add_argument("--watch", action="store_true", help="refresh in place until Ctrl-C")
    command.add_argument("--interval", type=float, default=1.0, metavar="S", help="seconds between refreshes")
    command.add_argument("--count", type=int, metavar="N", help="with --watch: stop after N refreshes")
    command.set_defaults(run=run_status)


def _duration(seconds: float) -> str:
    seconds = int(seconds)
    hours, rest = divmod(seconds, 3600)
    minutes, seconds = divmod(rest, 60)
    return (f"{hours} h " if hours else "") + (f"{minutes} min " if hours or minutes else "") + f"{seconds} s"


def _dbfs(value) -> str:
    return "silence" if value is None else f"{value:.1f} dBFS"


def format_status(s: dict) -> str:
    """The status as lines with units (what a person reads)."""
    index = s.get("index")
    position = f" ({index + 1} of {s.get('models')})" if isinstance(index, int) else ""
    period = s.get("period") or 0
    rate = s.get("rate") or 1
    cpu = s.get("cpu") or {}
    peaks = s.get("peaks") or {}
    audio = f"{s.get('audio')} at {rate} Hz, period {period} frames ({period / rate * 1000:.2f} ms)"
    audio += ", SCHED_FIFO" if s.get("realtime") else ", normal priority"
    if s.get("problem"):
        audio += f" -- {s['problem']}"
    if s.get("rig") is not None:
        changes = s.get("rig_changes") or {}
        lines = [("rig", f"{s['rig']} ({(s.get('position') or 0) + 1} of {s.get('rigs')} rigs): "
                         + " -> ".join(s.get("captures") or [])
                         + (f", live changes: {', '.join(sorted(changes))}" if changes else ""))]
    else:
        lines = [("model", f"{s.get('model')}{position}" + (" (bundled default)" if s.get("default") else ""))]
    lines.append(("bypass", "on" if s.get("bypass") else "off"))
    tuner = s.get("tuner") or {}
    if tuner.get("on"):   # the output is muted (or dry) while it is open
        reading = tuner.get("reading") or {}
        heard = (f"{reading['note']}{reading['octave']} {reading['cents']:+.1f} cents" if reading.get("note")
                 else "no note")
        lines.append(("tuner", f"open ({tuner.get('output')}, A4 = {tuner.get('a4'):g} Hz): {heard}"))
    submodel = s.get("submodel")
    if isinstance(submodel, dict):  # a model with submodels (NAM A2): the one playing
        lines.append(("size", f"{s.get('size'):g}: submodel {submodel['index'] + 1} of {submodel['count']} "
                              f"({submodel.get('architecture')}, {submodel.get('parameters')} parameters)"))
    lines += [
        ("audio", audio),
        ("latency", f"{s.get('latency_ms', 0):.2f} ms round trip"),
        ("cpu", f"avg {cpu.get('avg_percent', 0):.1f} %, max {cpu.get('max_percent', 0):.1f} % of the period "
                f"(last 5 s: avg {cpu.get('recent_avg_percent', 0):.1f} %, max {cpu.get('recent_max_percent', 0):.1f} %)"),
        ("xruns", f"{s.get('xruns', 0)} since start" + _causes((s.get("xrun_causes") or {}).get("by_cause"))),
        *_collections(s.get("gc")),
        ("peaks", f"in {_dbfs(peaks.get('input_dbfs'))}, out {_dbfs(peaks.get('output_dbfs'))}"),
        ("levels", f"input {s.get('input_gain_db', 0):+.1f} dB, output {s.get('output_level_db', 0):+.1f} dB"),
        ("cabinet", s.get("ir") or "off"),
        ("uptime", _duration(s.get("uptime_s", 0))),
    ]
    return "\n".join(f"{key:10} {value}" for key, value in lines)


def _causes(by_cause: dict | None) -> str:
    return f" ({', '.join(f'{cause} {n}' for cause, n in by_cause.items())})" if by_cause else ""


def _collections(collector: dict | None) -> list[tuple[str, str]]:
    """The gc line (Python's garbage collector holds the GIL while it runs); none from an older pedald."""
    if not isinstance(collector, dict):
        return []
    return [("gc", f"{collector.get('collections', 0)} collections since start, longest "
                   f"{collector.get('longest_ms', 0):.2f} ms")]


def run_status(cli: Cli) -> int:
    args = cli.args
    if not args.watch:
        status = cli.ask("status")
        return cli.emit(status, format_status(status))
    shown, drawn = 0, 0
    try:
        while args.count is None or shown < args.count:
            if shown:
                time.sleep(max(0.05, args.interval))
            status = cli.ask("status")
            if cli.json:
                print(json.dumps(status), file=cli.stdout, flush=True)
            else:
                text = format_status(status)
                # Back to the first line of the previous drawing, clear below, draw again.
                prefix = f"\033[{drawn}F\033[J" if drawn else ""
                print(prefix + text, file=cli.stdout, flush=True)
                drawn = text.count("\n") + 1
            shown += 1
    except KeyboardInterrupt:
        pass
    return 0
