"""pedal.control: the JSON-lines protocol over a real Unix socket."""

import json
import os
import socket
import stat
import threading
import time

import pytest

from pedal.control import ControlError, ControlServer, KeptConnection, handle_line, request


def make_handlers(calls):
    def status(message):
        return {"model": "ts9", "bypass": False}

    def select(message):
        name = message["name"]
        if name != "ts9":
            raise ControlError(f"no model called {name!r}")
        calls.append(name)
        return {"model": name}

    def crash(message):
        raise RuntimeError("boom")

    return {"status": status, "select": select, "crash": crash}


@pytest.fixture
def server(tmp_path):
    calls = []
    path = tmp_path / "run" / "pedal" / "control.sock"  # the directory is made when missing
    server = ControlServer(path, make_handlers(calls), group="no-such-group-here")
    server.start()
    server.calls = calls
    yield server
    server.close()


def raw_exchange(path, payload: bytes) -> list[dict]:
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as connection:
        connection.settimeout(5)
        connection.connect(str(path))
        connection.sendall(payload)
        connection.shutdown(socket.SHUT_WR)
        data = b""
        while chunk := connection.recv(65536):
            data += chunk
    return [json.loads(line) for line in data.splitlines()]


def test_a_request_gets_one_json_line_back(server):
    assert request(server.path, {"cmd": "status"}) == {"ok": True, "model": "ts9", "bypass": False}
    assert request(server.path, {"cmd": "select", "name": "ts9"}) == {"ok": True, "model": "ts9"}
    assert server.calls == ["ts9"]


def test_the_socket_is_group_readable_and_writable_only(server):
    assert stat.S_IMODE(os.stat(server.path).st_mode) == 0o660


def test_refusals_and_malformed_requests_get_errors_and_the_server_lives_on(server):
    answers = raw_exchange(server.path, b"\n".join([
        b"this is not json",
        b"[1, 2]",
        b'{"name": "x"}',
        b'{"cmd": 7}',
        b'{"cmd": "warp"}',
        b'{"cmd": "select"}',
        b'{"cmd": "select", "name": "plexi"}',
        b'{"cmd": "crash"}',
        b'\xff\xfe',
        b'{"cmd": "status"}',
    ]) + b"\n")
    assert [a["ok"] for a in answers] == [False] * 9 + [True]
    errors = [a["error"] for a in answers[:9]]
    assert "not a JSON line" in errors[0]
    assert "JSON object" in errors[1]
    assert "no \"cmd\"" in errors[2] and "no \"cmd\"" in errors[3]
    assert errors[4].startswith("unknown command 'warp'; known: status, select")
    assert errors[5] == "missing 'name'"
    assert errors[6] == "no model called 'plexi'"
    assert "internal error in crash: RuntimeError: boom" in errors[7]
    assert request(server.path, {"cmd": "status"})["ok"]


def test_an_oversized_request_is_refused(server):
    answers = raw_exchange(server.path, b'{"cmd": "status", "pad": "' + b"x" * 70000 + b'"}\n')
    assert answers[0]["ok"] is False and "longer than" in answers[0]["error"]
    assert request(server.path, {"cmd": "status"})["ok"]


def test_many_clients_at_once(server):
    results = []

    def client():
        results.append(request(server.path, {"cmd": "status"})["ok"])

    threads = [threading.Thread(target=client) for _ in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert results == [True] * 20


def test_a_stale_socket_is_replaced_but_a_live_one_is_not_taken_over(server, tmp_path):
    with pytest.raises(ControlError, match="another pedald already listens"):
        ControlServer(server.path, {}).start()
    stale = tmp_path / "stale.sock"
    dead = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    dead.bind(str(stale))
    dead.close()  # the file stays, nobody listens: what a crashed daemon leaves
    second = ControlServer(stale, {"status": lambda m: {}})
    second.start()
    try:
        assert request(stale, {"cmd": "status"}) == {"ok": True}
    finally:
        second.close()
    assert not stale.exists()


def test_the_client_says_when_no_daemon_is_there(tmp_path):
    with pytest.raises(FileNotFoundError):
        request(tmp_path / "none.sock", {"cmd": "status"})


def test_a_kept_connection_asks_again_and_again_on_one_daemon_thread(tmp_path):
    handlers = {"who": lambda m: {"thread": threading.get_ident()},
                "slow": lambda m: time.sleep(0.5) or {"late": True}}
    server = ControlServer(tmp_path / "control.sock", handlers)
    server.start()
    try:
        with KeptConnection(server.path) as pedald:
            threads = {pedald.ask({"cmd": "who"})["thread"] for _ in range(20)}
            assert len(threads) == 1
            assert pedald.ask({"cmd": "warp"})["ok"] is False      # a refusal keeps the connection
            with pytest.raises(TimeoutError):
                pedald.ask({"cmd": "slow"}, timeout=0.1)
            time.sleep(0.6)                                        # the late answer is never read as the next
            answer = pedald.ask({"cmd": "who"})
            assert answer["ok"] and "late" not in answer
    finally:
        server.close()


def test_a_kept_connection_the_daemon_dropped_while_idle_is_opened_again(tmp_path):
    # A daemon that answers each connection once and hangs up, as one that restarted between requests.
    path = tmp_path / "control.sock"
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind(str(path))
    listener.listen(4)

    def daemon():
        for number in (1, 2):
            connection, _ = listener.accept()
            with connection:
                connection.makefile("rb").readline()
                connection.sendall(json.dumps({"ok": True, "daemon": number}).encode() + b"\n")

    thread = threading.Thread(target=daemon)
    thread.start()
    try:
        with KeptConnection(path) as pedald:
            assert pedald.ask({"cmd": "status"})["daemon"] == 1
            time.sleep(0.1)                                        # hung up meanwhile
            assert pedald.ask({"cmd": "status"})["daemon"] == 2
            thread.join(5)
            with pytest.raises(OSError):                           # none there: said, not hidden
                pedald.ask({"cmd": "status"}, timeout=0.5)
    finally:
        listener.close()
        thread.join(5)


def test_handle_line_never_raises():
    for line in (b"", b"{", b"null", b'{"cmd": null}', b'{"cmd": "x"}'):
        assert handle_line(line, {})["ok"] is False
