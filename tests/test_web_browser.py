"""The web page in a real browser (Debian's headless Chromium, driven by Selenium) against a real
pedald on JACK's dummy driver and a real pedal-web: claim the pedal with a footswitch press and
set a password, see what plays, switch rig and see the status and the audio follow, upload a
capture and see it listed, see a refused upload's reason, tune a test tone and read the note,
log out and in again. Screenshots at phone and desktop sizes go to build/screenshots/."""

import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from pedal.control import request
from pedal.demo import RATE, JackDummy, write_asoundrc, write_config
from tests.support.jack_pedald import pedald_on
from tests.support.two_rigs import GOLDEN, write_two_rigs
from tests.support.paths import ROOT
from tests.support.pedalctl import DATA
from tests.support.waiting import daemon_status, wait_for
from tests.support.web_visitor import PASSWORD, Visitor

webdriver = pytest.importorskip("selenium.webdriver", reason="selenium is not installed (the test extra)")
pytest.importorskip("selenium.webdriver.support.select", reason="selenium is not installed (the test extra)")
pytestmark = [
    pytest.mark.skipif(not JackDummy.available(), reason="jackd is not installed (Debian package jackd2)"),
    pytest.mark.skipif(shutil.which("chromium") is None or shutil.which("chromedriver") is None,
                       reason="no chromium/chromedriver (Debian packages chromium, chromium-driver)"),
]

SCREENSHOTS = ROOT / "build" / "screenshots"
PERIOD = 128
TONE_HZ = 110.0          # A2, the guitar's fifth string
PHONE, DESKTOP = (360, 780), (1280, 900)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def pedal_and_page(tmp_path):
    """pedald (two rigs, a test tone in) on JACK, pedal-web beside it, and a phone-sized browser."""
    write_two_rigs(tmp_path)
    seconds = 120.0
    write_di_tone(tmp_path / "di.raw", seconds)
    write_asoundrc(tmp_path, tmp_path / "di.raw", tmp_path / "out.raw")
    port = free_port()
    config = write_config(tmp_path, period=PERIOD, footswitch="pin = 17\nled_pin = 27\ndebounce_ms = 5.0",
                          extra=f'[web]\npassword_file = "{tmp_path / "web" / "password.json"}"\n'
                                f'address = "127.0.0.1"\nport = {port}\n\n[midi]\nenabled = false\n')
    options = webdriver.ChromeOptions()
    for argument in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                     f"--window-size={PHONE[0]},{PHONE[1]}"):
        options.add_argument(argument)
    options.binary_location = shutil.which("chromium")
    with JackDummy(RATE, PERIOD, log_path=tmp_path / "jackd.log") as jack, \
            pedald_on(jack, tmp_path, config, seconds, mock_gpio=True) as daemon:
        web = start_pedal_web(config, tmp_path)
        browser = webdriver.Chrome(options=options,
                                   service=webdriver.ChromeService(executable_path=shutil.which("chromedriver")))
        try:
            wait_for(lambda: _up(Visitor(f"http://127.0.0.1:{port}")), 30, "pedal-web to answer")
            yield browser, f"http://127.0.0.1:{port}", daemon, tmp_path
        finally:
            browser.quit()
            web.terminate()
            web.wait(10)
            # Chromium's processes end after quit() returns: gone before the next test measures.
            wait_for(lambda: not chromium_processes(), 15.0)


def start_pedal_web(config, tmp_path) -> subprocess.Popen:
    """pedal-web as systemd/pedal-web.service runs it: below the audio, at nice 10."""
    return subprocess.Popen(["nice", "-n", "10", sys.executable, "-m", "pedal.web.server", "--config", str(config)],
                            stdout=subprocess.DEVNULL, stderr=open(tmp_path / "pedal-web.log", "wb"))


def chromium_processes() -> list[int]:
    """Those still running (a zombie waiting for its parent takes no CPU)."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            text = stat.read_text()      # "pid (name) state ..."
        except OSError:                  # gone meanwhile
            continue
        name, state = text[text.index("(") + 1:text.rindex(")")], text[text.rindex(")") + 2:][:1]
        if name in ("chromium", "chrome", "chromedriver") and state != "Z":
            found.append(int(stat.parent.name))
    return found


def shown(browser, element_id: str) -> str:
    return browser.find_element("id", element_id).text


def until(browser, condition, what, timeout=15.0):
    """Waits for ``condition(browser)`` to be truthy; saves a screenshot of the failure."""
    value = wait_for(lambda: _safely(condition, browser), timeout)
    if not value:
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        browser.save_screenshot(str(SCREENSHOTS / "failed.png"))
        raise AssertionError(f"timed out waiting for {what}; page says: {shown(browser, 'message')!r}")
    return value


def _safely(condition, browser):
    try:
        return condition(browser)
    except Exception:   # noqa: BLE001 -- the page is still drawing
        return None


def snap(browser, name: str, size) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    browser.set_window_size(*size)
    time.sleep(0.3)
    browser.save_screenshot(str(SCREENSHOTS / f"{name}.png"))
    browser.set_window_size(*PHONE)


def rms_db(samples) -> float:
    return 20 * np.log10(np.sqrt(np.mean(np.square(samples, dtype=np.float64))) + 1e-12)


def test_a_player_claims_the_pedal_switches_a_rig_uploads_and_tunes_from_a_phone(pedal_and_page):
    browser, base, daemon, directory = pedal_and_page
    sock = directory / "control.sock"

    def status():
        return daemon_status(sock, daemon, directory / "pedald.log")
    wait_for(lambda: (s := status()) and s["audio"] == "running", 30, "audio to run")

    # First use: the page asks for the footswitch, then for a password.
    browser.get(base)
    until(browser, lambda b: b.find_element("id", "claim").is_displayed(), "the claim page")
    snap(browser, "phone-claim", PHONE)
    browser.find_element("id", "claim-button").click()
    time.sleep(0.5)
    assert request(sock, {"cmd": "press", "pin": 17, "seconds": 0.05})["ok"]
    until(browser, lambda b: b.find_element("id", "set-password-form").is_displayed(), "the password form")
    browser.find_element("id", "new-password").send_keys(PASSWORD)
    browser.find_element("css selector", "#set-password-form button").click()

    # What plays, live.
    until(browser, lambda b: shown(b, "playing-name") == "crunch", "the playing rig")
    until(browser, lambda b: "xruns" in shown(b, "health"), "the live health line")
    listed = [item.text for item in browser.find_elements("css selector", "#sounds li")]
    print(f"\nWEB: listed {listed}")
    assert listed == \
        ["crunchrig", "cleanrig", "ampcapture", "drivecapture"]
    snap(browser, "phone-pedal", PHONE)
    snap(browser, "desktop-pedal", DESKTOP)

    # Switch rig: the status and the audio follow.
    before = status()
    browser.find_elements("css selector", "#sounds li")[1].click()
    until(browser, lambda b: shown(b, "playing-name") == "clean", "the page to show the clean rig")
    after = wait_for(lambda: (s := status()) and s["rig"] == "clean" and s["frames"] > before["frames"] + RATE and s,
                     10, "a second of the clean rig")
    assert after["engine"]["model_id"] != before["engine"]["model_id"]
    out = np.fromfile(directory / "out.raw", "<f4")
    switched = before["frames"] + PERIOD * 4
    level_before = rms_db(out[switched - RATE // 2:switched - RATE // 10])
    level_after = rms_db(out[after["frames"] - RATE // 2:after["frames"] - RATE // 10])
    print(f"\nWEB: rig switched from the page; output {level_before:.1f} dBFS -> {level_after:.1f} dBFS")
    assert abs(level_after - level_before) > 1.0

    # Upload a capture by the file picker: checked on the pedal, then listed.
    capture = directory / "plexi.json"
    capture.write_bytes(DATA)
    browser.find_element("id", "upload-file").send_keys(str(capture))
    until(browser, lambda b: shown(b, "upload-result").startswith("added plexi"), "the upload", timeout=60)
    until(browser, lambda b: any(li.text.startswith("plexi") for li in b.find_elements("css selector", "#sounds li")),
          "plexi in the list")

    # Or dropped on the page (a drop event carrying the file, as a drag from the desktop makes).
    browser.execute_script("""
        const [name, text] = arguments;
        const transfer = new DataTransfer();
        transfer.items.add(new File([text], name, {type: "application/json"}));
        document.getElementById("drop").dispatchEvent(
            new DragEvent("drop", {dataTransfer: transfer, bubbles: true, cancelable: true}));
    """, "dropped.json", DATA.decode())
    until(browser, lambda b: shown(b, "upload-result").startswith("added dropped"), "the dropped upload", timeout=60)

    # A capture whose name is markup shows as text: nothing runs.
    hostile = directory / "<img src=x onerror=document.title=1>.json"
    hostile.write_bytes(DATA)
    browser.find_element("id", "upload-file").send_keys(str(hostile))
    until(browser, lambda b: any(li.text.startswith("<img src=x onerror=document.title=1>")
                                 for li in b.find_elements("css selector", "#sounds li")), "the markup as text",
          timeout=60)
    assert browser.title == "pedal" and not browser.find_elements("css selector", "#sounds img")

    # A refused upload says why.
    broken = directory / "broken.nam"
    broken.write_bytes(b'{"version": "0.5.4", "architecture": "WaveNet"')
    browser.find_element("id", "upload-file").send_keys(str(broken))
    until(browser, lambda b: shown(b, "upload-result").startswith("refused: broken: refused:"), "the refusal")
    snap(browser, "phone-refused-upload", PHONE)

    # Make a rig from the page: pedalctl checks and times it, and it joins the list.
    browser.find_element("id", "rig-name").send_keys("duo")
    webdriver.support.select.Select(browser.find_elements("css selector", ".rig-capture")[0]).select_by_value("amp")
    browser.find_element("css selector", "#rig-form button").click()
    until(browser, lambda b: shown(b, "message") == "rig duo made", "the new rig", timeout=60)
    until(browser, lambda b: any(li.text.startswith("duo") for li in b.find_elements("css selector", "#sounds li")),
          "duo in the list")

    # Tune the test tone (A2) and read the note.
    browser.find_element("id", "tuner").click()
    until(browser, lambda b: shown(b, "tuner-note") == "A2", "the tuner to read A2", timeout=10)
    snap(browser, "phone-tuner", PHONE)
    browser.find_element("id", "tuner").click()
    until(browser, lambda b: not b.find_element("id", "tuner-view").is_displayed(), "the tuner to close")

    # Log out, and back in.
    browser.find_element("id", "logout").click()
    until(browser, lambda b: b.find_element("id", "login").is_displayed(), "the login page")
    browser.find_element("id", "login-password").send_keys(PASSWORD)
    browser.find_element("css selector", "#login-form button").click()
    until(browser, lambda b: b.find_element("id", "pedal").is_displayed(), "the pedal after logging in")
    last = status()
    print(f"WEB: xruns {last['xruns']} ({last['xrun_causes']['by_moment']})")


def test_a_client_polling_and_uploading_through_the_page_keeps_the_pedal_playing(tmp_path):
    """pedal-web's work is another process's: pedald plays on, without an xrun, while a client polls
    the page's status 10 times a second for 4 s, then uploads 3 captures while polling (pedal-web
    validates each on this machine, running the capture, as pedalctl upload does)."""
    (tmp_path / "models").mkdir()
    (tmp_path / "models" / "amp.json").write_bytes((GOLDEN / "wavenetva_c5_d3_k4_numbers.model.json").read_bytes())
    write_di_tone(tmp_path / "di.raw", 60.0)
    write_asoundrc(tmp_path, tmp_path / "di.raw", tmp_path / "out.raw")
    port = free_port()
    config = write_config(tmp_path, period=PERIOD, footswitch="pin = 17\nled_pin = 27",
                          extra=f'[web]\npassword_file = "{tmp_path / "web" / "password.json"}"\n'
                                f'address = "127.0.0.1"\nport = {port}\n\n[midi]\nenabled = false\n')
    from pedal.web.passwords import store_password
    store_password(tmp_path / "web" / "password.json", PASSWORD)
    with JackDummy(RATE, PERIOD, log_path=tmp_path / "jackd.log") as jack, \
            pedald_on(jack, tmp_path, config, 60, mock_gpio=True) as daemon:
        web = start_pedal_web(config, tmp_path)
        try:
            sock = tmp_path / "control.sock"
            wait_for(lambda: (s := daemon_status(sock, daemon, tmp_path / "pedald.log")) and s["frames"] > 1.5 * RATE,
                     30, "audio past its first second")
            visitor = Visitor(f"http://127.0.0.1:{port}")
            wait_for(lambda: _up(visitor), 30, "pedal-web to answer")
            visitor.log_in(PASSWORD)
            # Counted from here: the polls and uploads. pedal-web starting up (its imports) and the
            # login's scrypt (16 MiB touched at once) come before, and on this machine's kernel (no
            # preemption) such a burst of page faults can make a real-time thread late (issue 23).
            time.sleep(0.5)
            start = daemon_status(sock, daemon, tmp_path / "pedald.log")
            polls, uploads, began = 0, 0, time.monotonic()
            while time.monotonic() - began < 4.0:
                assert visitor.call("/api/status")[0] == 200
                polls += 1
                time.sleep(0.1)
            polled = daemon_status(sock, daemon, tmp_path / "pedald.log")
            while uploads < 3:
                assert visitor.call("/api/status")[0] == 200
                polls += 1
                if polls % 10 == 0:
                    status, answer, _ = visitor.upload(f"take{uploads}.json", DATA)
                    assert status == 200, answer
                    uploads += 1
                time.sleep(0.1)
            end = daemon_status(sock, daemon, tmp_path / "pedald.log")
        finally:
            web.terminate()
            web.wait(10)
    polling, uploading = polled["xruns"] - start["xruns"], end["xruns"] - polled["xruns"]
    print(f"\nWEB: from {start['frames'] / RATE:.2f} s of audio, {polls} status polls: xruns {polling} while only "
          f"polling (to {polled['frames'] / RATE:.2f} s), {uploading} while uploading "
          f"{uploads} captures (engine cpu max {end['cpu']['max_percent']}% of a period; "
          f"{end['xrun_causes']['by_cause']}; last {end['xrun_causes']['last'][-6:]}; gc {end['gc']})")
    assert uploads == 3 and end["audio"] == "running"
    assert (polling, uploading) == (0, 0), end["xrun_causes"]["last"][-(polling + uploading):]
    assert sorted(p.name for p in (tmp_path / "models").glob("take*.json")) == ["take0.json", "take1.json",
                                                                                 "take2.json"]


def write_di_tone(path, seconds):
    tone = 0.3 * np.sin(2 * np.pi * TONE_HZ * np.arange(int(seconds * RATE)) / RATE)
    tone.astype("<f4").tofile(path)


def _up(visitor):
    try:
        return visitor.call("/api/session")[0] == 200
    except OSError:
        return False
