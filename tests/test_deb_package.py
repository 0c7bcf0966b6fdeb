"""The Debian package, for real: built by packaging/build_deb.py, checked by
lintian, then installed, played, upgraded, removed and purged in a fresh Debian
bookworm made by debootstrap (amd64, minbase plus the package's Depends).

The steps run in order on one chroot, as a Pi owner would meet them:
install -> play with / read-only -> upgrade to a newer build -> remove -> purge.
Needs root (CI runs as root); skips with the reason where no chroot can be made.
"""

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.paths import ROOT
from tests.rigs.debian_chroot import ChrootUnavailable, check_possible, in_chroot, make_chroot, remove_chroot

CONTROL = ROOT / "packaging" / "deb" / "control.in"
GOLDEN = ROOT / "csrc" / "tests" / "golden"
OLD, NEW = "0.1.0~test1", "0.1.0~test2"   # dpkg orders ~test1 < ~test2 < 0.1.0
SITE = "usr/lib/python3/dist-packages/pedal"
UNIT_LINK = "etc/systemd/system/multi-user.target.wants/pedald.service"
WEB_LINK = "etc/systemd/system/sockets.target.wants/pedal-web.socket"
# The read-only run plays pedald on JACK's dummy driver, as the end-to-end test does.
PLAY_PACKAGES = ["jackd2", "libasound2-plugins"]
# Left out of "nothing left after purge": dpkg's and apt's own records, logs, and
# the backups useradd/userdel write beside the account files.
NOT_OURS = re.compile(r"^(proc|dev|run|tmp|var/lib/dpkg|var/log|var/cache)(/|$)|^etc/(passwd|group|shadow|gshadow)-$")


def depends() -> list[str]:
    field = re.search(r"^Depends: (.*)$", CONTROL.read_text(), re.M).group(1)
    return [item.split()[0] for item in field.split(",")]


def build(version: str, output: Path) -> Path:
    result = subprocess.run(["/usr/bin/python3", str(ROOT / "packaging" / "build_deb.py"), "--version", version,
                             "--output", str(output)], capture_output=True, text=True, timeout=900,
                            env=dict(os.environ, PEDAL_PIP_PYTHON=sys.executable))
    assert result.returncode == 0, result.stdout + result.stderr
    return output / f"pedal_{version}_amd64.deb"


def files_of(root: Path) -> set[str]:
    found = set()
    for directory, folders, files in os.walk(root):
        for name in folders + files:
            relative = os.path.relpath(os.path.join(directory, name), root)
            if not NOT_OURS.match(relative):
                found.add(relative)
    return found


@pytest.fixture(scope="module")
def debian(tmp_path_factory):
    """{"root": the chroot, "old"/"new": the two builds, "before": its files before install}."""
    try:
        check_possible()
    except ChrootUnavailable as reason:
        pytest.skip(f"no Debian chroot here: {reason}")
    if subprocess.run(["dpkg", "--print-architecture"], capture_output=True, text=True).stdout.strip() != "amd64":
        pytest.skip("the package test runs on amd64 (the chroot is amd64)")
    work = tmp_path_factory.mktemp("deb")
    debs = {"old": build(OLD, work / "dist"), "new": build(NEW, work / "dist")}
    root = make_chroot(work / "root", depends() + PLAY_PACKAGES)
    for deb in debs.values():
        shutil.copy(deb, root / "tmp")
    system = {"root": root, "work": work, "before": files_of(root), **debs}
    yield system
    remove_chroot(root)


def sh(debian, script: str) -> str:
    return in_chroot(debian["root"], script).stdout


def test_lintian_finds_no_errors(debian):
    if shutil.which("lintian") is None:
        pytest.skip("lintian is not installed (tools/setup-system.sh test installs it)")
    result = subprocess.run(["lintian", "--fail-on", "error", str(debian["old"])], capture_output=True, text=True,
                            timeout=300)
    assert result.returncode == 0 and " E: " not in "\n" + result.stdout, result.stdout + result.stderr


def test_install_makes_the_user_the_directories_and_enables_pedald(debian):
    root = debian["root"]
    sh(debian, f"dpkg -i /tmp/{debian['old'].name}")
    for path in ("usr/bin/pedald", "lib/systemd/system/pedald.service", "etc/pedal/pedal.toml",
                 f"{SITE}/_core.cpython-311-x86_64-linux-gnu.so", f"{SITE}/_core_avx2.cpython-311-x86_64-linux-gnu.so",
                 f"{SITE}/_vendor/alsaaudio.cpython-311-x86_64-linux-gnu.so", "usr/share/doc/pedal/copyright"):
        assert (root / path).exists(), path
    assert (root / "etc/pedal/pedal.toml").read_text() == (ROOT / "pedal/data/pedal.toml.example").read_text()
    assert sh(debian, "id -nG pedal").split() == ["pedal", "audio", "gpio"]
    assert sh(debian, "stat -c '%U:%G %a' /var/lib/pedal /var/lib/pedal/models").split("\n")[:2] == \
        ["pedal:pedal 755", "pedal:pedal 2775"]
    # Enabled at boot: deb-systemd-helper made the link although no systemd runs here.
    assert os.readlink(root / UNIT_LINK) == "/lib/systemd/system/pedald.service"
    assert os.readlink(root / WEB_LINK) == "/lib/systemd/system/pedal-web.socket"
    assert sh(debian, "stat -c '%U:%G %a' /var/lib/pedal/web").strip() == "pedal:pedal 2770"
    assert list((root / SITE / "__pycache__").glob("daemon.cpython-311.pyc")), "py3compile byte-compiled the package"


def test_the_installed_core_plays_a_model_on_debians_python_numpy_and_cffi(debian):
    out = sh(debian, """python3 -c '
import numpy as np
from pedal.core import Model
from pedal.library import DEFAULT_MODEL
from pedal.audio import alsaaudio
model = Model.load(DEFAULT_MODEL)
wet = model.process(np.sin(np.arange(4800, dtype=np.float32) / 10) * 0.5)
print(alsaaudio.__name__, np.isfinite(wet).all(), float(np.abs(wet).max()) > 0.01)
'""")
    assert out.split() == ["pedal._vendor.alsaaudio", "True", "True"]
    assert "pedald" in sh(debian, "pedald --help")
    assert "upload" in sh(debian, "pedalctl --help")   # pedalctl's own package (pedal.cli) is there too
    assert "web page" in sh(debian, "pedal-web --help")   # on Debian's aiohttp


def test_pedald_plays_with_the_root_read_only_and_writes_only_its_state_directory(debian):
    from pedal.demo import write_asoundrc, write_di
    root, rig = debian["root"], debian["work"] / "rig"
    rig.mkdir()
    for name, model in (("a_clean.json", "pedalnet_c4_d4_k3.model.json"),
                        ("b_crunch.json", "wavenetva_c5_d3_k4_numbers.model.json")):
        shutil.copy(GOLDEN / model, root / "var/lib/pedal/models" / name)
    write_di(rig / "di.raw", 40.0)
    write_asoundrc(rig, Path("/tmp/rig/di.raw"), Path("/tmp/rig/out.raw"))
    (rig / "pedal.toml").write_text('[audio]\ncapture_device = "pedal_in"\nplayback_device = "pedal_out"\n'
                                    "capture_channels = 1\nplayback_channels = 1\n")
    shutil.copy(ROOT / "tests" / "rigs" / "deb_play_readonly.py", rig)
    os.chmod(rig, 0o777)
    # Its own mount namespace: / bound read-only, /var/lib/pedal writable, RAM for /tmp, /run, /dev/shm.
    script = """set -e
R="$1"; RIG="$2"
mount --bind "$R" "$R"
mount --bind "$R/var/lib/pedal" "$R/var/lib/pedal"
mount -o remount,bind,ro "$R"
mount -t proc proc "$R/proc"
mount -t tmpfs -o mode=1777 tmpfs "$R/tmp"
mount -t tmpfs -o mode=0755 tmpfs "$R/run"
mount -t tmpfs -o mode=1777 tmpfs "$R/dev/shm"
mkdir "$R/tmp/rig"
mount --bind "$RIG" "$R/tmp/rig"
exec chroot "$R" /bin/sh -ec 'install -d -o pedal -g pedal -m 0750 /run/pedal
exec python3 /tmp/rig/deb_play_readonly.py /tmp/rig'
"""
    result = subprocess.run(["unshare", "--mount", "--propagation", "private", "sh", "-c", script, "sh", str(root),
                             str(rig)], capture_output=True, text=True, timeout=120,
                            env={"PATH": "/usr/sbin:/usr/bin:/sbin:/bin", "LC_ALL": "C.UTF-8"})
    assert result.returncode == 0, result.stdout + result.stderr
    report = json.loads(result.stdout.strip().splitlines()[-1])
    log = "\n".join(report["log"])
    assert report["root_writable"] == "Read-only file system"
    assert report["jack"], "jackd did not start in the chroot"
    assert report["first_audio_s"] is not None, log
    print(f"\nfirst audio {report['first_audio_s']:.2f} s after pedald started (read-only root)")
    status = report["status"]
    assert status["ok"] and status["audio"] == "running" and status["model"] == "b_crunch" and status["bypass"], status
    assert report["pedald_exit"] == 0, log
    assert "Traceback" not in log and "ERROR" not in log, log
    # Only the state directory was written, crash-safe: the state file and no temporary leftovers.
    state = json.loads((root / "var/lib/pedal/state.json").read_text())
    assert state["model"] == "b_crunch" and state["bypass"] is True
    assert sorted(p.name for p in (root / "var/lib/pedal").iterdir()) == ["models", "state.json", "web"]
    assert not any((root / "var/lib/pedal/web").iterdir())   # the package made it for pedal-web; pedald writes none
    assert not (root / "usr/lib/pedal-write-test").exists()


def test_upgrade_keeps_edited_settings_models_and_state(debian):
    root = debian["root"]
    settings = root / "etc/pedal/pedal.toml"
    edited = settings.read_text().replace("period = 128", "period = 64")
    settings.write_text(edited)
    (root / "var/lib/pedal/models/c_mine.json").write_bytes((GOLDEN / "pedalnet_c4_d4_k3.model.json").read_bytes())
    sh(debian, f"dpkg -i /tmp/{debian['new'].name}")
    assert sh(debian, "dpkg-query -W -f '${Version} ${Status}' pedal") == f"{NEW} install ok installed"
    assert settings.read_text() == edited
    assert not list((root / "etc/pedal").glob("*.dpkg-*"))
    # Dotfiles are the store's own (its .lock), which the daemon never reads as models.
    assert sorted(p.name for p in (root / "var/lib/pedal/models").iterdir() if not p.name.startswith(".")) == \
        ["a_clean.json", "b_crunch.json", "c_mine.json"]
    assert json.loads((root / "var/lib/pedal/state.json").read_text())["model"] == "b_crunch"
    assert sh(debian, "id -nG pedal").split() == ["pedal", "audio", "gpio"]
    assert os.path.islink(root / UNIT_LINK)


def test_remove_takes_the_program_and_keeps_settings_and_models(debian):
    root = debian["root"]
    sh(debian, "dpkg -r pedal")
    assert sh(debian, "dpkg-query -W -f '${Status}' pedal") == "deinstall ok config-files"
    assert not (root / "usr/bin/pedald").exists() and not (root / SITE).exists()
    assert not (root / "lib/systemd/system/pedald.service").exists()
    assert "period = 64" in (root / "etc/pedal/pedal.toml").read_text()
    assert (root / "var/lib/pedal/models/c_mine.json").exists()
    assert sh(debian, "getent passwd pedal").startswith("pedal:")


def test_purge_leaves_nothing_behind(debian):
    root = debian["root"]
    sh(debian, "dpkg -P pedal")
    assert in_chroot(root, "dpkg-query -W pedal", check=False).returncode != 0
    assert in_chroot(root, "getent passwd pedal", check=False).returncode != 0
    assert in_chroot(root, "getent group pedal", check=False).returncode != 0
    assert files_of(root) - debian["before"] == set()


QEMU = {"arm64": ("qemu-aarch64", "aarch64-linux-gnu"), "armhf": ("qemu-arm", "arm-linux-gnueabihf")}


@pytest.mark.parametrize("arch", ["arm64", "armhf"])
def test_the_pi_package_plays_a_model_on_debians_own_python_under_qemu(arch, tmp_path):
    """The cross-built core and pyalsaaudio load into the Pi's Python 3.11, numpy and
    cffi backend (Debian's, unpacked) and play; qemu-user stands in for the Pi's CPU.
    Both Pi architectures: ~2 min of cross compiling each on a clean checkout."""
    from tests.rigs.debian_chroot import foreign_root
    qemu, triplet = QEMU[arch]
    if shutil.which(qemu) is None or shutil.which(f"{triplet}-g++") is None:
        pytest.skip(f"{qemu} or the {arch} cross compiler is missing (tools/setup-system.sh test installs them)")
    try:
        root = foreign_root(arch, ["python3.11", "python3-numpy", "python3-cffi-backend", "libasound2", "libstdc++6"])
    except ChrootUnavailable as reason:
        pytest.skip(f"no {arch} Debian packages here: {reason}")
    deb = subprocess.run(["/usr/bin/python3", str(ROOT / "packaging" / "build_deb.py"), "--arch", arch,
                          "--output", str(tmp_path)], capture_output=True, text=True, timeout=900,
                         env=dict(os.environ, PEDAL_PIP_PYTHON=sys.executable))
    assert deb.returncode == 0, deb.stdout + deb.stderr
    package = tmp_path / "package"
    subprocess.run(["dpkg-deb", "-x", str(next(tmp_path.glob(f"pedal_*_{arch}.deb"))), str(package)], check=True)
    check = f"""import sys
sys.path[:0] = ["{package / SITE.rsplit('/', 1)[0]}"]
import numpy as np
from pedal.audio import alsaaudio
from pedal.core import Model
from pedal.library import DEFAULT_MODEL
wet = Model.load(DEFAULT_MODEL).process((np.sin(np.arange(9600, dtype=np.float32) / 10) * 0.5).astype(np.float32))
print(alsaaudio.__name__, bool(np.isfinite(wet).all()), float(np.abs(wet).max()) > 0.01)
"""
    result = subprocess.run([qemu, "-L", str(root), str(root / "usr/bin/python3.11"),
                             "-c", check], capture_output=True, text=True, timeout=300, cwd=tmp_path)
    assert result.stdout.split() == ["pedal._vendor.alsaaudio", "True", "True"], result.stdout + result.stderr
