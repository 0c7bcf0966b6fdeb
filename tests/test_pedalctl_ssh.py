"""pedalctl --host: the same commands over SSH, against a real sshd (openssh-server) that
the test starts on loopback with its own host key, client key and port. The model file
travels on ssh's stdin; the remote pedalctl validates and stores it."""

import getpass
import json
import os
import shutil
import socket
import subprocess
import sys
import time

import pytest

from tests.support.paths import ROOT
from tests.support.pedalctl import DATA


SSHD = shutil.which("sshd") or "/usr/sbin/sshd"
pytestmark = pytest.mark.skipif(not (os.path.exists(SSHD) and shutil.which("ssh") and shutil.which("ssh-keygen")),
                                reason="needs OpenSSH (Debian packages openssh-server, openssh-client)")


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="module")
def sshd(tmp_path_factory):
    """sshd on 127.0.0.1:<free port> accepting our test key for the current user; the ssh command to reach it."""
    directory = tmp_path_factory.mktemp("sshd")
    for key in ("host_key", "client_key"):
        subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(directory / key)], check=True)
    (directory / "authorized_keys").write_text((directory / "client_key.pub").read_text())
    os.chmod(directory / "authorized_keys", 0o600)
    port = _free_port()
    (directory / "sshd_config").write_text(f"""Port {port}
ListenAddress 127.0.0.1
HostKey {directory / 'host_key'}
AuthorizedKeysFile {directory / 'authorized_keys'}
PidFile {directory / 'sshd.pid'}
PasswordAuthentication no
KbdInteractiveAuthentication no
UsePAM no
StrictModes no
PermitRootLogin prohibit-password
""")
    if os.geteuid() == 0:
        os.makedirs("/run/sshd", mode=0o755, exist_ok=True)   # privilege separation directory
    log = open(directory / "sshd.log", "wb")
    server = subprocess.Popen([SSHD, "-D", "-e", "-f", str(directory / "sshd_config")], stdout=log,
                              stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        if server.poll() is not None:
            pytest.skip(f"sshd did not start here: {(directory / 'sshd.log').read_text()[-300:]}")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            break
        except OSError:
            time.sleep(0.05)
    ssh = (f"ssh -F none -i {directory / 'client_key'} -p {port} -o BatchMode=yes -o StrictHostKeyChecking=no "
           f"-o UserKnownHostsFile={directory / 'known_hosts'}")
    pedalctl = ROOT / ".venv" / "bin" / "pedalctl"
    remote = str(pedalctl) if pedalctl.exists() else f"{sys.executable} -m pedal.cli"
    yield {"PEDAL_SSH": ssh, "PEDAL_REMOTE_PEDALCTL": remote, "host": f"{getpass.getuser()}@127.0.0.1"}
    server.terminate()
    server.wait(10)
    log.close()


def laptop(sshd, *argv, stdin=None):
    """pedalctl as a laptop runs it: a separate process, only ssh between it and the pedal."""
    env = dict(os.environ, PEDAL_SSH=sshd["PEDAL_SSH"], PEDAL_REMOTE_PEDALCTL=sshd["PEDAL_REMOTE_PEDALCTL"])
    return subprocess.run([sys.executable, "-m", "pedal.cli", "--host", sshd["host"], *map(str, argv)],
                          input=stdin, capture_output=True, env=env, cwd=ROOT, timeout=120)


def test_upload_over_ssh_streams_the_file_and_the_pedal_validates_and_stores_it(sshd, tmp_path):
    models = tmp_path / "models"
    (tmp_path / "Clean Amp.json").write_bytes(DATA)
    result = laptop(sshd, "--ssh-option", "LogLevel=ERROR", "upload", tmp_path / "Clean Amp.json",
                    "--library", models)
    assert result.returncode == 0, result.stderr.decode()
    assert b"installed 'Clean Amp'" in result.stdout and b"loudness -18.6 dBFS" in result.stdout
    assert (models / "Clean Amp.json").read_bytes() == DATA
    listed = laptop(sshd, "--json", "list", "--library", models)
    assert [m["name"] for m in json.loads(listed.stdout)["models"]] == ["Clean Amp"]


def test_a_refusal_on_the_pedal_comes_back_with_its_reason_and_status(sshd, tmp_path):
    (tmp_path / "amp.json").write_bytes(DATA)
    models = tmp_path / "models"
    assert laptop(sshd, "upload", tmp_path / "amp.json", "--library", models).returncode == 0
    again = laptop(sshd, "upload", tmp_path / "amp.json", "--library", models)
    assert again.returncode == 1
    assert b"pedalctl: a model called 'amp' is already there (amp.json); add --replace" in again.stderr


def test_ssh_pedal_pedalctl_upload_dash_works_too(sshd, tmp_path):
    models = tmp_path / "models"
    command = sshd["PEDAL_SSH"].split() + [sshd["host"], "--",
                                           f"{sshd['PEDAL_REMOTE_PEDALCTL']} upload - --name piped --library {models}"]
    result = subprocess.run(command, input=DATA, capture_output=True, timeout=120)
    assert result.returncode == 0, result.stderr.decode()
    assert (models / "piped.json").read_bytes() == DATA


def test_upload_select_over_ssh_reaches_the_running_daemon(sshd, pedal, tmp_path):  # noqa: F811
    (tmp_path / "lead.json").write_bytes(DATA)
    result = laptop(sshd, "--config", pedal.config_path, "upload", tmp_path / "lead.json", "--select")
    assert result.returncode == 0, result.stderr.decode()
    assert pedal._now()["model"] == "lead"
    status = json.loads(laptop(sshd, "--config", pedal.config_path, "--json", "status").stdout)
    assert status["model"] == "lead" and status["audio"] == "running"


def test_render_refuses_to_run_remotely(sshd, tmp_path):
    result = laptop(sshd, "render", "amp", "in.wav", "out.wav")
    assert result.returncode == 1 and b"render works on files here; run it without --host" in result.stderr


def test_a_host_that_does_not_answer_is_reported(tmp_path):
    env = dict(os.environ, PEDAL_SSH=f"ssh -F none -p {_free_port()} -o BatchMode=yes -o ConnectTimeout=5")
    result = subprocess.run([sys.executable, "-m", "pedal.cli", "--host", "nobody@127.0.0.1", "list"],
                            capture_output=True, env=env, cwd=ROOT, timeout=60)
    assert result.returncode == 255 and b"pedalctl: ssh to nobody@127.0.0.1 failed" in result.stderr


def test_size_and_info_over_ssh_reach_the_running_daemon(sshd, pedal):  # noqa: F811
    from tests.support.paths import shared_model
    from tests.support.pedalctl import ctl
    assert ctl(pedal, "upload", "-", "--name", "boss", "--select",
               stdin=shared_model("NeuralAudio/BossWN-a2.nam").read_bytes()).status == 0
    result = laptop(sshd, "--config", pedal.config_path, "size", "boss", "0.5")
    assert result.returncode == 0, result.stderr.decode()
    assert result.stdout.decode().strip() == \
        "boss: size 0.5, submodel 1 of 2 (size 0.5: WaveNet, 1871 parameters); playing it now"
    info = json.loads(laptop(sshd, "--config", pedal.config_path, "--json", "info", "boss").stdout)
    assert info["ok"] and info["size"] == 0.5 and info["playing"] == 0 and len(info["submodels"]) == 2
    refused = laptop(sshd, "--config", pedal.config_path, "size", "boss", "1.5")
    assert refused.returncode == 1 and refused.stderr.decode().strip() == \
        "pedalctl: S must be a number in 0..1, got '1.5'"


def test_a_rig_bundle_comes_back_from_one_pedal_and_goes_to_another_over_ssh(sshd, tmp_path):
    home, away = tmp_path / "home", tmp_path / "away"
    (home / "models").mkdir(parents=True)
    (home / "models" / "amp.json").write_bytes(DATA)
    (home / "pedal.toml").write_text("[audio]\nperiod = 64\n")
    made = laptop(sshd, "rig", "new", "solo", "--capture", "amp", "--library", home / "models", "--config",
                  home / "pedal.toml")
    assert made.returncode == 0, made.stderr.decode()
    exported = laptop(sshd, "rig", "export", "solo", "-o", tmp_path / "solo.pedalrig", "--library", home / "models")
    assert exported.returncode == 0, exported.stderr.decode()
    assert (tmp_path / "solo.pedalrig").read_bytes()[:2] == b"PK"     # the bundle, written here on the laptop
    imported = laptop(sshd, "rig", "import", tmp_path / "solo.pedalrig", "--library", away / "models", "--config",
                      home / "pedal.toml")
    assert imported.returncode == 0, imported.stderr.decode()
    assert (away / "models" / "amp.json").read_bytes() == DATA and (away / "rigs" / "solo.toml").exists()
