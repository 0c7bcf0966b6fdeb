"""The MIDI input ports, through python-rtmidi: every source there is, opened, and the ones
plugged in or out since the last look picked up or let go.

    >>> ports = Ports("auto")        # the ALSA sequencer (a Pi with a USB MIDI controller)
    >>> ports.scan()                 # (opened, closed) since the last scan
    (['nanoKONTROL2:nanoKONTROL2 MIDI 1 20:0'], [])
    >>> ports.read()                 # what arrived, without waiting: (port, bytes) each
    [('nanoKONTROL2:nanoKONTROL2 MIDI 1 20:0', b'\\xb0\\x07\\x64')]

Backends: "alsa" reads the ALSA sequencer (/dev/snd/seq: USB controllers, and DIN ones through a
USB MIDI interface); "jack" reads the MIDI ports of the JACK server named by the environment
(JACK_DEFAULT_SERVER), for rigs built on JACK and for the tests, which have no sequencer; "auto"
is ALSA where the sequencer exists. Nothing here raises on a missing sequencer, server or
library: the reason is logged once, and the next scan tries again.

This runs in the MIDI reader's process (pedal.midi.reader), never in pedald's: rtmidi holds the
GIL through its calls. The ports are polled (``read``), never read through rtmidi's callbacks:
with JACK the callback runs on JACK's real-time thread and would take the GIL there, which the
reader's own thread holds for 13 ms while it opens a port: a JACK cycle must not wait on that.
rtmidi queues what arrives between two polls: 4096 messages per port, so a
flood of 10,000 CC a second waits there while a program change loads a rig.
"""

from __future__ import annotations

import logging
import os
import time
from pathlib import Path

log = logging.getLogger(__name__)

__all__ = ["BACKENDS", "Ports", "SEQUENCER"]

BACKENDS = ("auto", "alsa", "jack")
SEQUENCER = Path("/dev/snd/seq")
CLIENT = "pedal"
QUEUE = 4096                  # messages rtmidi holds per port between two polls (0.4 s of a 10k/s flood)
RETRY_S = 10.0                # after a failed listing (no server): libjack says why on stderr each try


class Ports:
    def __init__(self, backend: str = "auto", client: str = CLIENT, sequencer: Path = SEQUENCER) -> None:
        if backend not in BACKENDS:
            raise ValueError(f"unknown MIDI backend {backend!r}; one of: {', '.join(BACKENDS)}")
        self.backend, self.client, self.sequencer = backend, client, sequencer
        self._rtmidi = None
        self._lister = None                 # an rtmidi input that only lists the ports
        self._open: dict[str, object] = {}  # port name -> its rtmidi input
        self._said = ""                     # the last reason for no MIDI, logged once
        self._retry_at = 0.0                # no listing before then (monotonic)

    @property
    def names(self) -> list[str]:
        return list(self._open)

    def scan(self) -> tuple[list[str], list[str]]:
        """Opens the sources that appeared and closes those that went; (opened, closed) names."""
        api, present = self._sources()
        closed = [name for name in self._open if name not in present]
        for name in closed:
            self._close(name)
            log.info("midi: %s unplugged", name)
        opened = [name for name in present if name not in self._open and self._open_port(name, api)]
        return opened, closed

    def read(self) -> list[tuple[str, bytes]]:
        """Every message that arrived since the last call, port by port, without waiting."""
        arrived = []
        for name, port in list(self._open.items()):
            try:
                while (message := port.get_message()) is not None:
                    arrived.append((name, bytes(message[0])))
            except Exception as error:   # noqa: BLE001 -- a port that fails is let go, never the pedal
                log.warning("midi: %s failed (%s); closed", name, error)
                self._close(name)
        return arrived

    def close(self) -> None:
        for name in list(self._open):
            self._close(name)
        lister, self._lister = self._lister, None
        if lister is not None:
            lister.delete()

    # --- rtmidi ----------------------------------------------------------------------

    def _api(self) -> int | None:
        """The rtmidi API to use now, or None (and why, logged once)."""
        if self._rtmidi is None:
            try:
                import rtmidi
            except ImportError:
                self._say("python-rtmidi is not installed (Debian package python3-rtmidi); no MIDI")
                return None
            self._rtmidi = rtmidi
        if self.backend == "jack":
            os.environ.setdefault("JACK_NO_START_SERVER", "1")   # never start a server of our own
            return self._rtmidi.API_UNIX_JACK
        if not self.sequencer.exists():
            self._say(f"no ALSA sequencer ({self.sequencer}); MIDI waits for one")
            return None
        return self._rtmidi.API_LINUX_ALSA

    def _sources(self) -> tuple[int | None, list[str]]:
        """The rtmidi API in use and the sources it lists (none without one)."""
        api = self._api()
        if api is None:
            return None, []
        if time.monotonic() < self._retry_at:
            return api, list(self._open)
        try:
            if self._lister is None:
                self._lister = self._rtmidi.MidiIn(api, self.client)
            names = self._lister.get_ports()
        except Exception as error:   # noqa: BLE001 -- rtmidi.SystemError: no server, no sequencer
            self._say(f"cannot list MIDI ports ({error}); trying again every {RETRY_S:g} s")
            self._drop_lister()
            self._retry_at = time.monotonic() + RETRY_S
            return api, []
        self._said = ""
        return api, [name for name in names if not name.startswith(f"{self.client}:")]

    def _open_port(self, name: str, api: int) -> bool:
        try:
            port = self._rtmidi.MidiIn(api, self.client, queue_size_limit=QUEUE)
            names = port.get_ports()
            port.open_port(names.index(name), "in")
        except Exception as error:   # noqa: BLE001 -- gone between list and open, or busy
            log.warning("midi: cannot open %s (%s)", name, error)
            return False
        self._open[name] = port
        log.info("midi: listening to %s", name)
        return True

    def _close(self, name: str) -> None:
        port = self._open.pop(name)
        try:
            port.close_port()
            port.delete()
        except Exception as error:   # noqa: BLE001 -- the device is gone already
            log.debug("midi: closing %s: %s", name, error)

    def _drop_lister(self) -> None:
        lister, self._lister = self._lister, None
        if lister is not None:
            try:
                lister.delete()
            except Exception:   # noqa: BLE001
                pass

    def _say(self, reason: str) -> None:
        if reason != self._said:
            log.warning("midi: %s", reason)
            self._said = reason
