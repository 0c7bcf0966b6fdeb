"""pedal-web, the process: the page for a phone, served on port 80.

    pedal-web [--config /etc/pedal/pedal.toml] [--port N]

Under systemd, pedal-web.socket holds port 80 and hands it over (socket activation, so the
service itself runs as user pedal with no privilege to bind it); started by hand it listens on
[web] address and port. It reaches pedald only through the control socket: nothing here can
disturb the audio.
"""

from __future__ import annotations

import argparse
import logging
import os
import socket
import sys

from aiohttp import web

from pedal.config import DEFAULT_PATH, ConfigError, load_config
from pedal.web.app import build_app

log = logging.getLogger("pedal-web")

__all__ = ["main", "systemd_socket"]

SD_LISTEN_FDS_START = 3


def systemd_socket() -> socket.socket | None:
    """The listening socket systemd passed (LISTEN_FDS, for this process), or None."""
    if os.environ.get("LISTEN_PID") != str(os.getpid()) or os.environ.get("LISTEN_FDS") != "1":
        return None
    return socket.socket(fileno=SD_LISTEN_FDS_START)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="pedal-web", description="The pedal's web page, for a phone.")
    parser.add_argument("--config", default=DEFAULT_PATH, help=f"the pedal's settings (default {DEFAULT_PATH})")
    parser.add_argument("--port", type=int, help="listen on this port instead of [web] port")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    try:
        config = load_config(args.config)
    except ConfigError as error:
        print(f"pedal-web: {error}", file=sys.stderr)
        return 2
    app = build_app(config, config_path=args.config)
    handed = systemd_socket()
    try:
        if handed is not None:
            log.info("listening on the socket systemd handed over (%s)", handed.getsockname())
            web.run_app(app, sock=handed, print=None, access_log=None)
        else:
            port = args.port or config.web.port
            log.info("listening on %s:%d", config.web.address, port)
            web.run_app(app, host=config.web.address, port=port, print=None, access_log=None)
    except OSError as error:
        print(f"pedal-web: cannot listen: {error.strerror or error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
