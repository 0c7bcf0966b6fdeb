"""A fresh Debian chroot for package tests, made with debootstrap.

    >>> root = make_chroot(tmp_path / "root", ["python3", "python3-numpy"])
    >>> in_chroot(root, "dpkg -i /tmp/pedal.deb")

The first build downloads from the Debian mirror named in this machine's apt
sources (read at run time through apt itself) and keeps a tarball under
build/chroot/, keyed by suite, architecture and package list, so later runs
unpack it in seconds. Needs root.
"""

from __future__ import annotations

import hashlib
import importlib.util
import os
import shutil
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent.parent
CACHE = ROOT / "build" / "chroot"
SUITE = "bookworm"


class ChrootUnavailable(RuntimeError):
    """Why no chroot can be made here (the test skips with this reason)."""


def _build_deb():
    """packaging/build_deb.py as a module: its apt look-ups serve the tests too."""
    spec = importlib.util.spec_from_file_location("build_deb", ROOT / "packaging" / "build_deb.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def debian_mirror(suite: str = SUITE) -> str:
    """The mirror this machine's apt uses for ``suite`` main (packaging/build_deb.py asks apt)."""
    build_deb = _build_deb()
    try:
        return build_deb.debian_mirror(suite)
    except build_deb.BuildError as error:
        raise ChrootUnavailable(str(error)) from None


def check_possible() -> None:
    if os.geteuid() != 0:
        raise ChrootUnavailable("debootstrap and chroot need root")
    for tool in ("debootstrap", "chroot", "unshare", "dpkg-deb"):
        if shutil.which(tool) is None:
            raise ChrootUnavailable(f"{tool} is not installed (tools/setup-system.sh test installs it)")
    debian_mirror()


def make_chroot(target: Path, packages: list[str], arch: str = "amd64") -> Path:
    """A minbase ``SUITE`` with ``packages`` at ``target`` (from the cached tarball when there is one)."""
    packages = sorted(set(packages))
    key = hashlib.sha256(" ".join([SUITE, arch, *packages]).encode()).hexdigest()[:16]
    tarball = CACHE / f"{SUITE}-{arch}-{key}.tar"
    if not tarball.exists():
        CACHE.mkdir(parents=True, exist_ok=True)
        work = CACHE / f"work-{key}"
        shutil.rmtree(work, ignore_errors=True)
        # In a mount namespace of its own: the /proc and /sys debootstrap mounts
        # inside the new system vanish with it, even if it fails half-way.
        result = subprocess.run(["unshare", "--mount", "--propagation", "private",
                                 "debootstrap", "--variant=minbase", f"--arch={arch}",
                                 f"--include={','.join(packages)}", SUITE, str(work), debian_mirror()],
                                capture_output=True, text=True)
        if result.returncode != 0:
            log = (work / "debootstrap" / "debootstrap.log")
            detail = log.read_text()[-2000:] if log.exists() else result.stderr[-2000:]
            shutil.rmtree(work, ignore_errors=True)
            raise RuntimeError(f"debootstrap failed ({result.returncode}):\n{detail}")
        # apt's downloaded packages are not part of the system: keep the tarball small.
        for deb in (work / "var" / "cache" / "apt" / "archives").glob("*.deb"):
            deb.unlink()
        partial = tarball.with_suffix(".partial")
        subprocess.run(["tar", "-C", str(work), "--numeric-owner", "-cf", str(partial), "."], check=True)
        partial.rename(tarball)
        shutil.rmtree(work, ignore_errors=True)
    target.mkdir(parents=True, exist_ok=True)
    subprocess.run(["tar", "-C", str(target), "--numeric-owner", "-xf", str(tarball)], check=True)
    return target


def in_chroot(root: Path, script: str, check: bool = True, timeout: float = 120) -> subprocess.CompletedProcess:
    """Runs ``script`` with /bin/sh -e inside ``root`` (its own mount namespace, /proc mounted)."""
    wrapper = 'mount -t proc proc "$1/proc" && exec chroot "$1" /bin/sh -ec "$2"'
    result = subprocess.run(["unshare", "--mount", "--propagation", "private", "sh", "-c", wrapper, "sh",
                             str(root), script], capture_output=True, text=True, timeout=timeout,
                            env={"PATH": "/usr/sbin:/usr/bin:/sbin:/bin", "LC_ALL": "C",
                                 "DEBIAN_FRONTEND": "noninteractive"})
    if check and result.returncode != 0:
        raise AssertionError(f"in the chroot, `{script}` failed ({result.returncode}):\n{result.stdout}{result.stderr}")
    return result


def remove_chroot(root: Path) -> None:
    """Deletes a chroot; every mount was in a private namespace, so none is left to undo."""
    shutil.rmtree(root, ignore_errors=True)


def foreign_root(arch: str, packages: list[str]) -> Path:
    """``packages`` and everything they depend on for another architecture, unpacked
    (not installed: no maintainer scripts run) into build/chroot/<arch>-<key>/, for
    running its programs under qemu-user with ``-L``. Cached like the chroots."""
    build_deb = _build_deb()
    key = hashlib.sha256(" ".join([SUITE, arch, *sorted(packages)]).encode()).hexdigest()[:16]
    root = CACHE / f"{arch}-{key}"
    if (root / ".complete").exists():
        return root
    try:
        build_deb.target_sysroot(arch)  # the apt state for this architecture (lists, sources)
    except build_deb.BuildError as error:
        raise ChrootUnavailable(str(error)) from None
    state = build_deb.BUILD / "apt" / arch
    subprocess.run(["apt-get", *build_deb.apt_options(state, arch), "install", "--download-only", "-y",
                    "--no-install-recommends", *packages], check=True, capture_output=True)
    shutil.rmtree(root, ignore_errors=True)
    root.mkdir(parents=True)
    for deb in sorted((state / "cache" / "archives").glob("*.deb")):
        subprocess.run(["dpkg-deb", "-x", str(deb), str(root)], check=True)
    # The links update-alternatives makes at install (numpy finds BLAS and LAPACK through them).
    libraries = root / "usr" / "lib" / build_deb.TRIPLETS[arch]
    for name in ("blas", "lapack"):
        if (libraries / name / f"lib{name}.so.3").exists():
            (libraries / f"lib{name}.so.3").symlink_to(f"{name}/lib{name}.so.3")
    (root / ".complete").touch()
    return root
