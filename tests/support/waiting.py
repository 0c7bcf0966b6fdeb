"""Waiting in tests for something another thread or process does.

    >>> assert wait_for(lambda: pedal.ready)                          # True, or False after the timeout
    >>> wait_for(lambda: status().get("frames"), 30, "audio")          # its value, or AssertionError
"""

import time

POLL_S = 0.005


def wait_for(condition, timeout=5.0, what=None, poll=POLL_S):
    """condition()'s value as soon as it is truthy, or its last value after
    ``timeout`` seconds, asking every ``poll`` seconds; with ``what``, a
    timeout fails the test naming it."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value or time.monotonic() >= deadline:
            break
        time.sleep(poll)
    if not value and what is not None:
        raise AssertionError(f"timed out waiting for {what}")
    return value


def daemon_status(socket, daemon, log, timeout=2.0):
    """A pedald subprocess's status over its control socket, or None while it does not answer
    (not listening yet, busy); if the process has died, the test fails with its log."""
    from pedal.control import request

    try:
        answer = request(socket, {"cmd": "status"}, timeout=timeout)
    except OSError:
        assert daemon.poll() is None, log.read_text()
        return None
    return answer if answer.get("ok") else None
