"""The MIDI reader: a process of its own that holds the MIDI ports and passes what arrives to
pedald, one line each, on its stdout.

    python -m pedal.midi.reader alsa|jack|auto PID   # what pedald (process PID) starts

    + NAME             a port was opened (plugged in, or there at the start)
    - NAME             a port was closed (unplugged)
    m HEX NAME         bytes from a port, as it delivered them

Why a process: python-rtmidi holds Python's GIL through its calls, and opening a port on JACK
takes 13 ms of it here; inside pedald that would stop the audio thread (a Python thread) for five
128-frame periods. Here it stops nothing. A crash in rtmidi, libjack or a driver ends only this
process: pedald logs it and starts another (``ReaderProcess``). The reader runs at normal
priority, whatever the thread that started it had, and ends when pedald does.
"""

from __future__ import annotations

import logging
import os
import select
import subprocess
import sys
import threading
import time
from pathlib import Path

from pedal.midi.ports import BACKENDS, SEQUENCER, Ports

log = logging.getLogger(__name__)

__all__ = ["ReaderProcess", "main"]

POLL_S = 0.004        # between two reads of the ports while any is open: at most this added to a change
SCAN_S = 1.0          # between two looks for ports plugged in or out
RESTART_S = 2.0       # after the reader ended unasked, before another is started


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if len(argv) != 2 or argv[0] not in BACKENDS or not argv[1].isdigit():
        print(f"usage: python -m pedal.midi.reader {'|'.join(BACKENDS)} PARENT_PID", file=sys.stderr)
        return 2
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    try:
        os.sched_setscheduler(0, os.SCHED_OTHER, os.sched_param(0))   # not pedald's real-time priority
    except OSError:
        pass
    # The parent as pedald named it: one that died before this started has already left us to init.
    parent, ports, out = int(argv[1]), Ports(argv[0]), sys.stdout.buffer
    scan_due = 0.0
    try:
        while os.getppid() == parent:
            lines = []
            if time.monotonic() >= scan_due:
                opened, closed = ports.scan()
                lines += [b"+ " + _name(n) for n in opened] + [b"- " + _name(n) for n in closed]
                scan_due = time.monotonic() + SCAN_S
            lines += [b"m " + data.hex().encode() + b" " + _name(n) for n, data in ports.read()]
            if lines:
                out.write(b"\n".join(lines) + b"\n")
                out.flush()
            time.sleep(POLL_S if ports.names else max(0.0, scan_due - time.monotonic()))
    except (BrokenPipeError, KeyboardInterrupt):
        pass
    finally:
        ports.close()
    return 0


def _name(name: str) -> bytes:
    return name.replace("\n", " ").encode("utf-8", "replace")


class ReaderProcess:
    """pedald's end: starts the reader, and turns its lines into events.

        >>> reader = ReaderProcess("auto")
        >>> reader.events(timeout=1.0)     # waits for some (the GIL released meanwhile)
        [('opened', 'nanoKONTROL2:nanoKONTROL2 MIDI 1 20:0', b''), ('message', '...', b'\\xb0\\x07\\x64')]
        >>> reader.close()
    """

    def __init__(self, backend: str, sequencer: Path = SEQUENCER) -> None:
        if backend not in BACKENDS:
            raise ValueError(f"unknown MIDI backend {backend!r}; one of: {', '.join(BACKENDS)}")
        self.backend, self.sequencer = backend, sequencer
        self._waiting_said = False
        self.names: list[str] = []
        self._process: subprocess.Popen | None = None
        self._pending = b""
        self._start_at = 0.0
        self._closed = False
        self._lock = threading.Lock()

    def events(self, timeout: float) -> list[tuple[str, str, bytes]]:
        """What the reader said within ``timeout`` s: ("opened" | "closed" | "message", port, bytes)."""
        with self._lock:   # never a reader started after close()
            if self._closed:
                return []
            if self._process is None and time.monotonic() >= self._start_at:
                if self._nothing_to_read():
                    self._start_at = time.monotonic() + SCAN_S
                else:
                    self._start()
            process = self._process
        if process is None:
            time.sleep(min(timeout, max(0.0, self._start_at - time.monotonic())))
            return []
        ready, _, _ = select.select([process.stdout], [], [], timeout)
        if not ready:
            return []
        chunk = os.read(process.stdout.fileno(), 1 << 16)
        if not chunk:
            return self._ended(process)
        *lines, self._pending = (self._pending + chunk).split(b"\n")
        return [event for line in lines if (event := self._event(line)) is not None]

    def close(self) -> None:
        """Ends the reader; the thread in ``events`` sees it end and lets go of its pipe."""
        with self._lock:
            self._closed = True
            process = self._process
        if process is not None:
            process.terminate()
            try:
                process.wait(2.0)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(2.0)

    def _nothing_to_read(self) -> bool:
        """"auto" with no ALSA sequencer (a machine with no sound card, or none loaded yet): no
        reader is started (a Python process, at pedald's start) until one appears."""
        if self.backend != "auto" or self.sequencer.exists():
            return False
        if not self._waiting_said:
            log.warning("midi: no ALSA sequencer (%s); MIDI waits for one", self.sequencer)
            self._waiting_said = True
        return True

    def _start(self) -> None:
        self._pending = b""
        command = [sys.executable, "-m", "pedal.midi.reader", self.backend, str(os.getpid())]
        self._process = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, bufsize=0)

    def _ended(self, process: subprocess.Popen) -> list[tuple[str, str, bytes]]:
        status = process.wait()
        process.stdout.close()
        with self._lock:
            self._process = None
            if not self._closed:
                log.warning("midi: the MIDI reader ended (status %s); starting another in %g s", status, RESTART_S)
                self._start_at = time.monotonic() + RESTART_S
        gone, self.names = self.names, []   # names is replaced, never changed in place: others read it
        return [("closed", name, b"") for name in gone]

    def _event(self, line: bytes) -> tuple[str, str, bytes] | None:
        kind, _, rest = line.partition(b" ")
        if kind == b"m":
            data, _, name = rest.partition(b" ")
            return "message", name.decode("utf-8", "replace"), bytes.fromhex(data.decode())
        name = rest.decode("utf-8", "replace")
        if kind == b"+":
            self.names = self.names + [name]
            return "opened", name, b""
        if kind == b"-" and name in self.names:
            self.names = [n for n in self.names if n != name]
            return "closed", name, b""
        return None


if __name__ == "__main__":
    sys.exit(main())
