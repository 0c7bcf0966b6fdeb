"""The web page's server (pedal-web) against a real pedald (in-process, fake sound card, mock
footswitch) over its control socket: nothing but the login page without a session; the first
visit claims the pedal with a footswitch press, then sets a password (kept as a scrypt hash);
logins are rate-limited; every change carries the session's CSRF token and none comes from
another site; the page switches what plays, uploads a capture as pedalctl does (a refusal's
reason shown) and sees the pedal live."""

import asyncio
import dataclasses
import json
import socket
import threading
import time

import pytest

aiohttp = pytest.importorskip("aiohttp", reason="aiohttp is not installed (pip install aiohttp)")

from pedal.config import Web  # noqa: E402
from pedal.web import app as web_app  # noqa: E402
from tests.support.pedalctl import DATA, ctl  # noqa: E402
from tests.support.waiting import wait_for  # noqa: E402
from tests.support.web_visitor import PASSWORD, Visitor  # noqa: E402

@pytest.fixture
def site(pedal, tmp_path, monkeypatch):
    """pedal-web for the pedal fixture's pedald, on a free port of 127.0.0.1: its base URL."""
    monkeypatch.setattr(web_app, "CLAIM_S", 2.0)
    config = dataclasses.replace(pedal.config, web=Web(password_file=str(tmp_path / "web" / "password.json")))
    pedal.web_config = config
    app = web_app.build_app(config, config_path=str(pedal.config_path))
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    loop = asyncio.new_event_loop()
    runner = aiohttp.web.AppRunner(app)
    loop.run_until_complete(runner.setup())
    loop.run_until_complete(aiohttp.web.SockSite(runner, listener).start())
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{listener.getsockname()[1]}"
    asyncio.run_coroutine_threadsafe(runner.cleanup(), loop).result(10)
    loop.call_soon_threadsafe(loop.stop)
    thread.join(5)


def press_footswitch_soon(pedal, after=0.3):
    def press():
        time.sleep(after)
        pin = pedal.pin_factory.pin(17)
        pin.drive_low()
        time.sleep(0.05)
        pin.drive_high()
    threading.Thread(target=press, daemon=True).start()


def claimed(pedal, site) -> Visitor:
    visitor = Visitor(site)
    press_footswitch_soon(pedal)
    status, answer, _ = visitor.call("/api/claim", {})
    assert status == 200, answer
    claim = answer["claim"]
    status, answer, _ = visitor.call("/api/password", {"claim": claim, "password": "short"})
    assert (status, answer["error"]) == (400, "a password is 8 to 1024 characters")   # the claim holds
    status, answer, headers = visitor.call("/api/password", {"claim": claim, "password": PASSWORD})
    assert status == 200, answer
    visitor.csrf = answer["csrf"]
    visitor.set_cookie = headers["Set-Cookie"]
    return visitor


# --- without a session ------------------------------------------------------------------------------

def test_without_a_session_only_the_page_and_the_login_answer(site):
    visitor = Visitor(site)
    status, page, headers = visitor.call("/")
    assert status == 200 and "<title>pedal</title>" in page
    assert headers["Content-Security-Policy"].startswith("default-src 'self'")
    assert headers["X-Frame-Options"] == "DENY" and headers["X-Content-Type-Options"] == "nosniff"
    assert visitor.call("/static/app.js")[0] == 200
    assert visitor.call("/api/session")[1] == {"ok": True, "claimed": False, "logged_in": False}
    for path, body in (("/api/status", None), ("/api/do", {"cmd": "next"}), ("/api/live", None)):
        status, answer, _ = visitor.call(path, body)
        assert (status, answer["error"]) == (401, "log in first"), path
    assert visitor.call("/static/../pedal.toml")[0] == 404       # nothing outside the page's own files


# --- first use: the footswitch, then a password ------------------------------------------------------

def test_the_first_visit_claims_the_pedal_with_a_footswitch_press_then_sets_a_password(pedal, site):
    playing = pedal.current
    visitor = claimed(pedal, site)
    assert pedal.current == playing                              # the press was used up, nothing else
    assert "HttpOnly" in visitor.set_cookie and "SameSite=Strict" in visitor.set_cookie
    stored = (pedal.tmp / "web" / "password.json").read_text()
    assert PASSWORD not in stored and json.loads(stored)["scheme"] == "scrypt"
    assert visitor.call("/api/status")[1]["model"] == "clean"
    # Claimed: another visitor can only log in.
    assert Visitor(site).call("/api/claim", {})[:2] == (409, {"ok": False, "error": "this pedal has a password "
                                                                                     "already: log in"})


def test_no_footswitch_press_no_claim_and_no_password_without_one(site):
    visitor = Visitor(site)
    status, answer, _ = visitor.call("/api/claim", {})
    assert (status, answer["error"]) == (403, "no footswitch press within 2 s")
    status, answer, _ = visitor.call("/api/password", {"claim": "made-up", "password": PASSWORD})
    assert (status, answer["error"]) == (403, "press the footswitch first (claim the pedal)")
    assert visitor.call("/api/session")[1]["claimed"] is False


def test_pedalctl_web_password_sets_it_and_logs_everyone_out(pedal, site):
    visitor = claimed(pedal, site)
    config = pedal.config_path.read_text() + f'\n[web]\npassword_file = "{pedal.tmp / "web" / "password.json"}"\n'
    pedal.config_path.write_text(config)
    run = ctl(pedal, "web", "password", "--stdin", stdin=b"a new password\n")
    assert run.status == 0, run.err
    assert visitor.call("/api/status")[0] == 401                  # the old session is over
    visitor.log_in("a new password")
    assert visitor.call("/api/status")[0] == 200
    assert ctl(pedal, "web", "password", "--stdin", stdin=b"short\n").err.strip() == \
        "pedalctl: a password is 8 to 1024 characters"


# --- logins -------------------------------------------------------------------------------------------

def test_logins_are_rate_limited(pedal, site):
    claimed(pedal, site)
    visitor = Visitor(site)
    for _ in range(5):
        assert visitor.call("/api/login", {"password": "guess"})[:2] == (403, {"ok": False, "error": "wrong password"})
    status, answer, _ = visitor.call("/api/login", {"password": PASSWORD})   # even the right one, now
    assert status == 429 and answer["error"].startswith("too many tries: wait")


# --- changes: CSRF-safe, and what they do ------------------------------------------------------------

def test_a_change_needs_the_sessions_csrf_token_and_may_not_come_from_another_site(pedal, site):
    visitor = claimed(pedal, site)
    token, visitor.csrf = visitor.csrf, None
    assert visitor.call("/api/do", {"cmd": "next"})[:2] == \
        (403, {"ok": False, "error": "missing or wrong CSRF token (reload the page)"})
    visitor.csrf = token
    status, answer, _ = visitor.call("/api/do", {"cmd": "next"}, headers={"Origin": "http://evil.example"})
    assert (status, answer["error"]) == (403, "a request from another site")
    assert pedal.current == 0
    assert visitor.call("/api/do", {"cmd": "next"})[0] == 200 and pedal.current == 1


def test_the_page_switches_what_plays_and_sets_bypass_and_levels(pedal, site):
    visitor = claimed(pedal, site)
    assert visitor.call("/api/do", {"cmd": "select", "name": "crunch"})[1]["model"] == "crunch"
    visitor.call("/api/do", {"cmd": "bypass", "on": True})
    visitor.call("/api/do", {"cmd": "set", "output_level_db": -6.0})
    status = visitor.call("/api/status")[1]
    assert status["model"] == "crunch" and status["bypass"] and status["output_level_db"] == -6.0
    assert status["models"] == ["clean", "crunch"] and status["rig_names"] == []
    status, answer, _ = visitor.call("/api/do", {"cmd": "press", "pin": 17})
    assert status == 400 and answer["error"].startswith("unknown action 'press'")
    assert visitor.call("/api/do", {"cmd": "set", "output_level_db": 99})[1]["error"] == \
        "output_level_db must be a number in -60..12, got 99"


# --- uploads --------------------------------------------------------------------------------------------

def test_an_upload_is_validated_and_stored_as_pedalctl_does_and_a_refusal_says_why(pedal, site):
    visitor = claimed(pedal, site)
    status, answer, _ = visitor.upload("plexi.json", DATA, select="1")
    assert status == 200, answer
    assert answer["name"] == "plexi" and answer["pedald"]["model"] == "plexi"
    assert (pedal.library.directory / "plexi.json").read_bytes() == DATA
    assert "plexi" in visitor.call("/api/status")[1]["models"]
    assert '"source": "plexi.json"' in (pedal.library.directory / ".plexi.json.meta.json").read_text()

    status, answer, _ = visitor.upload("broken.nam", b'{"version": "0.5.4", "architecture": "WaveNet"')
    assert status == 400 and answer["error"].startswith("broken: refused: ")
    status, answer, _ = visitor.upload("plexi.json", DATA)
    assert status == 400 and "already" in answer["error"]
    status, answer, _ = visitor.upload("../../etc/passwd.json", DATA)    # a name, never a path
    assert status == 200 and answer["name"] == "passwd"
    assert not (pedal.tmp / "etc").exists()


def test_an_upload_over_max_model_mb_is_refused_before_it_is_read_whole(pedal, site):
    visitor = claimed(pedal, site)
    limit = int(pedal.web_config.library.max_model_mb * 2 ** 20)
    status, answer, _ = visitor.upload("huge.json", b" " * (limit + 2 ** 17))
    assert status in (400, 413)
    if status == 400:
        assert "larger than the limit" in answer["error"]


# --- names are text ----------------------------------------------------------------------------------

def test_the_page_never_builds_markup_from_what_it_shows():
    script = (web_app.STATIC / "app.js").read_text()
    for sink in ("innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "eval("):
        assert sink not in script, f"app.js uses {sink}: a capture named <script> would run"
    assert "<script>" not in (web_app.STATIC / "index.html").read_text()   # CSP 'self': no inline script


# --- the live view ------------------------------------------------------------------------------------

def test_the_live_view_follows_the_pedal_at_least_five_times_a_second(pedal, site):
    visitor = claimed(pedal, site)
    cookie = next(c for c in visitor.cookies if c.name == web_app.COOKIE)

    async def watch():
        arrivals = []
        async with aiohttp.ClientSession(cookies={cookie.name: cookie.value}) as session:
            async with session.ws_connect(site.replace("http", "ws") + "/api/live") as live:
                async for message in live:
                    arrivals.append((time.monotonic(), json.loads(message.data)))
                    if len(arrivals) == 3:
                        pedal.set_bypass(True)
                    if len(arrivals) >= 12:
                        return arrivals
    arrivals = asyncio.run(asyncio.wait_for(watch(), 20))
    gaps = sorted(b[0] - a[0] for a, b in zip(arrivals, arrivals[1:]))
    print(f"\nWEB: live view every {gaps[len(gaps) // 2] * 1000:.0f} ms (median), {gaps[-1] * 1000:.0f} ms at most")
    assert gaps[len(gaps) // 2] <= 0.25, gaps
    assert arrivals[0][1]["bypass"] is False and arrivals[-1][1]["bypass"] is True


# --- the process ----------------------------------------------------------------------------------------

def test_pedal_web_serves_the_socket_systemd_hands_it(tmp_path):
    """As pedal-web.socket starts it: the listening socket passed as fd 3 (LISTEN_FDS)."""
    import shutil
    import subprocess
    import sys
    if shutil.which("systemd-socket-activate") is None:
        pytest.skip("systemd-socket-activate is not installed (Debian package systemd)")
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    config = tmp_path / "pedal.toml"
    config.write_text(f'[control]\nsocket = "{tmp_path / "control.sock"}"\n\n[web]\n'
                      f'password_file = "{tmp_path / "password.json"}"\nport = 1\n')
    server = subprocess.Popen(["systemd-socket-activate", "-l", f"127.0.0.1:{port}", sys.executable, "-m",
                               "pedal.web.server", "--config", str(config)], stderr=subprocess.PIPE, text=True)
    try:
        visitor = Visitor(f"http://127.0.0.1:{port}")
        status = wait_for(lambda: _answers(visitor), 30, "pedal-web to answer")
        assert status == {"ok": True, "claimed": False, "logged_in": False}
        # pedald is not running: the page says so, pedal-web stays up.
        assert visitor.call("/api/claim", {})[1]["error"].startswith("pedald is not answering")
    finally:
        server.terminate()
        server.wait(10)
    assert "listening on the socket systemd handed over" in server.stderr.read()


def _answers(visitor):
    try:
        return visitor.call("/api/session")[1]
    except OSError:
        return None


def test_a_cabinet_upload_is_checked_and_played_through_and_a_bad_one_says_why(pedal, site, tmp_path):
    import numpy as np
    from pedal import wavfile
    visitor = claimed(pedal, site)
    box = np.zeros((2400, 1), np.float32)
    box[0, 0], box[30, 0] = 0.9, -0.3
    wavfile.write(tmp_path / "4x12.wav", box, 48000, float32=True)
    status, answer, _ = visitor.upload("4x12.wav", (tmp_path / "4x12.wav").read_bytes(), select="1")
    assert status == 200, answer
    assert answer["summary"] == "cabinet, 2400 frames at 48000 Hz (50 ms)" and answer["pedald"]["ir"] == "4x12"
    assert visitor.call("/api/status")[1]["irs"] == ["4x12"]
    status, answer, _ = visitor.upload("silence.wav", _silent_wav(tmp_path))
    assert status == 400 and "silent" in answer["error"]


def _silent_wav(tmp_path):
    import numpy as np
    from pedal import wavfile
    wavfile.write(tmp_path / "silence.wav", np.zeros((480, 1), np.float32), 48000, float32=True)
    return (tmp_path / "silence.wav").read_bytes()


def test_captures_are_renamed_ordered_and_removed_as_pedalctl_does(pedal, site):
    visitor = claimed(pedal, site)
    assert visitor.call("/api/library", {"action": "order", "names": ["crunch"]})[1]["order"] == ["crunch"]
    assert visitor.call("/api/status")[1]["models"] == ["crunch", "clean"]
    answer = visitor.call("/api/library", {"action": "rename", "old": "clean", "new": "sparkle"})[1]
    assert answer["name"] == "sparkle" and "sparkle" in visitor.call("/api/status")[1]["models"]
    assert visitor.call("/api/library", {"action": "remove", "name": "sparkle"})[1]["removed"] == "sparkle"
    assert visitor.call("/api/status")[1]["models"] == ["crunch"]
    status, answer, _ = visitor.call("/api/library", {"action": "remove", "name": "../state"})
    assert status == 400 and (pedal.tmp / "state.json").exists()


def test_the_tone_and_the_sliders_ranges_come_from_the_engine(pedal, site):
    visitor = claimed(pedal, site)
    visitor.call("/api/do", {"cmd": "eq", "bass_db": 4.0})
    visitor.call("/api/do", {"cmd": "gate", "threshold_db": -55.0})
    status = visitor.call("/api/status")[1]
    assert status["eq"]["bass_db"] == 4.0 and status["gate"]["threshold_db"] == -55.0
    assert status["ranges"]["bass_db"] == [-15.0, 15.0] and status["ranges"]["output_level_db"] == [-60.0, 12.0]
    assert status["knobs"] == [] and status["irs"] == []


def test_rigs_are_made_changed_and_removed_by_pedalctl_itself(pedal, site):
    visitor = claimed(pedal, site)
    status, answer, _ = visitor.call("/api/rig", {"action": "new", "name": "duo", "output_level_db": -3.0,
                                                  "captures": [{"model": "crunch", "drive_db": 6.0},
                                                               {"model": "clean"}]})
    assert status == 200, answer
    assert [c["model"] for c in answer["captures"]] == ["crunch", "clean"] and answer["output_level_db"] == -3.0
    assert visitor.call("/api/status")[1]["rig_names"] == ["duo"]
    status, answer, _ = visitor.call("/api/rig", {"action": "set", "name": "duo", "settings": {"eq.bass_db": 2}})
    assert status == 200 and "bass_db = 2.0" in (pedal.tmp / "rigs" / "duo.toml").read_text()
    status, answer, _ = visitor.call("/api/rig", {"action": "new", "name": "ghost", "captures": [{"model": "nope"}]})
    assert status == 400 and "nope" in answer["error"]
    status, answer, _ = visitor.call("/api/rig", {"action": "remove", "name": "--help"})
    assert status == 400 and "--help" in answer["error"]        # a name, never an option
    assert visitor.call("/api/rig", {"action": "remove", "name": "duo"})[0] == 200
    assert visitor.call("/api/status")[1]["rig_names"] == []
