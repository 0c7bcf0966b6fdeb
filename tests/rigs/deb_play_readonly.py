"""Run inside the test chroot by tests/test_deb_package.py, with Debian's python3
and the installed package: plays pedald from the package on JACK's dummy driver
with / mounted read-only, as the pedal user, and prints what happened as JSON.

    python3 /tmp/rig/deb_play_readonly.py /tmp/rig

The rig directory holds .asoundrc (pedal_in/pedal_out over JACK and ALSA's
file plugin), pedal.toml and the DI clip, written by the test.
"""

import json
import os
import signal
import subprocess
import sys
import time

from pedal.control import request

RIG = sys.argv[1]
SOCKET = "/run/pedal/control.sock"
AS_PEDAL = ["setpriv", "--reuid=pedal", "--regid=pedal", "--init-groups"]
ENV = dict(os.environ, HOME=RIG, JACK_DEFAULT_SERVER="pedal-ro", JACK_NO_AUDIO_RESERVATION="1",
           JACK_NO_START_SERVER="1")


def ask(message):
    try:
        return request(SOCKET, message, timeout=2.0)
    except (OSError, ValueError):
        return None


def wait_for(condition, timeout):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.01)
    return None


def main():
    report = {}
    try:
        open("/usr/lib/pedal-write-test", "w").close()
        report["root_writable"] = True
    except OSError as error:
        report["root_writable"] = error.strerror

    jack = subprocess.Popen(AS_PEDAL + ["jackd", "-n", "pedal-ro", "--no-realtime", "-d", "dummy", "-r", "48000",
                                        "-p", "128"], env=ENV, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    jack_up = wait_for(lambda: "not running" not in subprocess.run(
        AS_PEDAL + ["jack_wait", "-c"], env=ENV, capture_output=True, text=True).stdout, 10)
    report["jack"] = bool(jack_up)
    log_path = os.path.join(RIG, "pedald.log")
    started = time.monotonic()
    with open(log_path, "wb") as log:
        pedald = subprocess.Popen(AS_PEDAL + ["/usr/bin/pedald", "--config", os.path.join(RIG, "pedal.toml")],
                                  env=ENV, stdout=log, stderr=subprocess.STDOUT)
    try:
        # First audio: the first period processed and written (the daemon's frame counter moves).
        playing = wait_for(lambda: (ask({"cmd": "status"}) or {}).get("frames", 0) > 0, 30)
        report["first_audio_s"] = round(time.monotonic() - started, 3) if playing else None
        report["next"] = ask({"cmd": "next"})
        report["bypass"] = ask({"cmd": "bypass", "on": True})
        time.sleep(2.0)
        report["status"] = ask({"cmd": "status"})
    finally:
        pedald.send_signal(signal.SIGTERM)
        try:
            report["pedald_exit"] = pedald.wait(10)
        except subprocess.TimeoutExpired:
            pedald.kill()
            report["pedald_exit"] = "killed"
        jack.send_signal(signal.SIGTERM)
        try:
            jack.wait(5)
        except subprocess.TimeoutExpired:
            jack.kill()
    with open(log_path, encoding="utf-8", errors="replace") as log:
        report["log"] = log.read().splitlines()
    print(json.dumps(report))


if __name__ == "__main__":
    main()
