#!/usr/bin/python3
"""Builds the Debian package of the pedal: ``dist/pedal_<version>_<arch>.deb``.

    /usr/bin/python3 packaging/build_deb.py                 # this machine's architecture
    /usr/bin/python3 packaging/build_deb.py --arch arm64    # a Raspberry Pi (64-bit OS), cross-compiled
    /usr/bin/python3 packaging/build_deb.py --arch armhf    # a Raspberry Pi (32-bit OS), cross-compiled
    /usr/bin/python3 packaging/build_deb.py --version 0.1.1 # another version from the same build

(``make deb`` / ``make deb ARCH=arm64`` run it.) Plain files and ``dpkg-deb``,
no debhelper: the package holds

- the Python package in /usr/lib/python3/dist-packages/pedal, with the C++ core
  compiled for the target (``_core``; on amd64 also ``_core_avx2``) from the C
  source that Debian's own cffi emits, so the module matches the
  python3-cffi-backend it runs on;
- pyalsaaudio 0.11 as ``pedal._vendor.alsaaudio``: Debian bookworm's
  python3-alsaaudio is 0.8.4, older than the ``PCM(rate=, periods=)`` and
  ``info()`` that pedal.audio needs (its source comes from PyPI at build time,
  pinned by hash in packaging/vendor.txt);
- /usr/bin/pedald (and every other console script of pyproject.toml),
  the systemd unit, /etc/pedal/pedal.toml (a conffile) and the docs;
- the maintainer scripts of packaging/deb/.

Nothing is fetched at install time: every dependency is a Debian package in
``Depends:``. For a foreign architecture the target's Python and ALSA headers
come from the Debian archive named in this machine's apt sources, downloaded
(never installed) into build/deb/sysroot/<arch> with apt's own client.

Must run under Debian's /usr/bin/python3 with python3-cffi installed
(tools/setup-system.sh deb installs it).
"""

from __future__ import annotations

import argparse
import contextlib
import gzip
import hashlib
import importlib.util
import io
import os
import shutil
import subprocess
import sys
import tarfile
import tomllib
from concurrent.futures import ThreadPoolExecutor
from email.utils import formatdate
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGING = ROOT / "packaging"
BUILD = ROOT / "build" / "deb"
DIST = ROOT / "dist"
PYVER = f"{sys.version_info.major}.{sys.version_info.minor}"  # bookworm: 3.11 on every architecture
SUITE = "bookworm"  # Raspberry Pi OS 12 is bookworm too
MAINTAINER = os.environ.get("PEDAL_MAINTAINER", "pedal developers <pedal@example.org>")

# Debian architecture -> GNU triplet (cross tool prefix, multiarch directory).
TRIPLETS = {"amd64": "x86_64-linux-gnu", "arm64": "aarch64-linux-gnu", "armhf": "arm-linux-gnueabihf"}

# The builds of the core each architecture's package carries, by module; their compile flags
# are pedal/build_flags.py's package_flags (the ones `make cross` tests the Pi builds with).
VARIANTS = {
    "amd64": {"_core": "baseline", "_core_avx2": "avx2"},
    "arm64": {"_core": "arm64"},
    "armhf": {"_core": "armhf"},
}
# Full RELRO: the dynamic loader resolves everything at load, then the table is read-only.
LINK = ["-shared", "-Wl,-z,relro", "-Wl,-z,now"]

# What the target needs to build the extensions: headers and ALSA's link library.
# The packages below pedal/ that pedald and pedalctl import (the trainer stays out: PyTorch).
SUBPACKAGES = ("cli", "midi", "web")
UNITS = ("pedald.service", "pedal-web.service", "pedal-web.socket")
SYSROOT_PACKAGES = [f"libpython{PYVER}-dev", "libasound2-dev", "libasound2"]


class BuildError(RuntimeError):
    pass


def run(command: list[str], **kwargs) -> subprocess.CompletedProcess:
    try:
        return subprocess.run(command, check=True, **kwargs)
    except FileNotFoundError:
        raise BuildError(f"{command[0]} is not installed (tools/setup-system.sh deb installs the tools)") from None
    except subprocess.CalledProcessError as error:
        raise BuildError(f"{' '.join(map(str, command[:3]))} ... failed with status {error.returncode}") from None


def host_arch() -> str:
    return subprocess.run(["dpkg", "--print-architecture"], capture_output=True, text=True, check=True).stdout.strip()


def project() -> dict:
    return tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]


# --- the target: compilers and headers ----------------------------------------------------

class Target:
    """The architecture being built for: its compilers, headers and file names.

        >>> target = Target("arm64")
        >>> target.cxx, target.extension_suffix
        ('aarch64-linux-gnu-g++', '.cpython-311-aarch64-linux-gnu.so')
    """

    def __init__(self, arch: str) -> None:
        if arch not in TRIPLETS:
            raise BuildError(f"unknown architecture {arch!r}; known: {', '.join(TRIPLETS)}")
        self.arch = arch
        self.triplet = TRIPLETS[arch]
        self.native = arch == host_arch()
        prefix = "" if self.native else self.triplet + "-"
        self.cc, self.cxx, self.strip = prefix + "gcc", prefix + "g++", prefix + "strip"
        self.extension_suffix = f".cpython-{PYVER.replace('.', '')}-{self.triplet}.so"
        self.sysroot = Path("/") if self.native else target_sysroot(arch)

    @property
    def include_flags(self) -> list[str]:
        usr = self.sysroot / "usr"
        # Debian's python3.11/pyconfig.h picks <triplet/python3.11/pyconfig.h> by the compiler's macros.
        return ["-isystem", str(usr / "include" / f"python{PYVER}")] + \
            ([] if self.native else ["-isystem", str(usr / "include")])

    @property
    def library_flags(self) -> list[str]:
        return [] if self.native else ["-L", str(self.sysroot / "usr" / "lib" / self.triplet)]


def debian_mirror(suite: str = SUITE) -> str:
    """The mirror this machine's apt uses for ``suite`` main, asked of apt itself
    (so no archive's name is ever written in this project)."""
    result = subprocess.run(["apt-get", "indextargets", "--format", "$(REPO_URI) $(RELEASE) $(COMPONENT) $(CREATED_BY)"],
                            capture_output=True, text=True)
    for line in result.stdout.splitlines():
        parts = line.split()
        if len(parts) == 4 and parts[1:] == [suite, "main", "Packages"]:
            return parts[0]
    raise BuildError(f"no '{suite} main' repository in this machine's apt sources")


def apt_options(state: Path, arch: str) -> list[str]:
    """apt-get working in its own directories for a foreign architecture, on
    the suite's main only: nothing of the machine's package state is touched."""
    return ["-q", "-o", f"Dir::State={state}", "-o", f"Dir::Cache={state / 'cache'}",
            "-o", f"Dir::State::status={state / 'status'}", "-o", f"Dir::Etc::SourceList={state / 'sources.list'}",
            "-o", "Dir::Etc::SourceParts=-", "-o", f"APT::Architecture={arch}", "-o", f"APT::Architectures::={arch}",
            "-o", "Debug::NoLocking=1", "-o", "APT::Sandbox::User=root"]


def target_sysroot(arch: str) -> Path:
    """build/deb/sysroot/<arch>: the target's Python and ALSA headers and libasound,
    unpacked from the Debian archive (downloaded once; kept for later builds)."""
    root = BUILD / "sysroot" / arch
    if (root / ".complete").exists():
        return root
    state = BUILD / "apt" / arch
    for folder in (state / "lists" / "partial", state / "cache" / "archives" / "partial", state / "debs"):
        folder.mkdir(parents=True, exist_ok=True)
    (state / "status").touch()
    keyring = Path("/usr/share/keyrings/debian-archive-keyring.gpg")
    signed = f"[signed-by={keyring}] " if keyring.exists() else ""
    (state / "sources.list").write_text(f"deb {signed}{debian_mirror()} {SUITE} main\n")
    print(f"deb: fetching {arch} headers ({', '.join(SYSROOT_PACKAGES)}) from the apt sources of this machine",
          flush=True)
    run(["apt-get", *apt_options(state, arch), "update"], stdout=subprocess.DEVNULL)
    run(["apt-get", *apt_options(state, arch), "download", *SYSROOT_PACKAGES], cwd=state / "debs",
        stdout=subprocess.DEVNULL)
    shutil.rmtree(root, ignore_errors=True)
    root.mkdir(parents=True)
    for deb in sorted((state / "debs").glob("*.deb")):
        run(["dpkg-deb", "-x", str(deb), str(root)])
    (root / ".complete").touch()
    return root


# --- compiling ---------------------------------------------------------------------------

def stale(target: Path, sources: list[Path]) -> bool:
    return not target.exists() or any(s.stat().st_mtime > target.stat().st_mtime for s in sources)


def compile_all(jobs: list[tuple[list[str], Path, list[Path]]]) -> None:
    """Runs the (command, output, inputs) compile jobs whose output is stale, in parallel."""
    todo = [(command, output) for command, output, inputs in jobs if stale(output, inputs)]

    def one(job):
        command, output = job
        output.parent.mkdir(parents=True, exist_ok=True)
        result = subprocess.run(command, capture_output=True, text=True)
        if result.returncode != 0:
            output.unlink(missing_ok=True)
            raise BuildError(f"compiling {output.name} failed:\n{result.stderr[-4000:]}")

    with ThreadPoolExecutor(max_workers=os.cpu_count() or 2) as pool:
        list(pool.map(one, todo))


def build_core(target: Target, package: Path) -> None:
    """pedal/_core*.so for the target: csrc/ plus the wrapper emitted by this Python's cffi."""
    if importlib.util.find_spec("cffi") is None:
        raise BuildError("Debian's python3-cffi is needed to emit the core's wrapper (tools/setup-system.sh deb)")
    spec = importlib.util.spec_from_file_location("pedal_build_core", ROOT / "pedal" / "_build_core.py")
    build_core_module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(build_core_module)
    headers = sorted((ROOT / "csrc").glob("*/*.h"))
    for module, flags_target in VARIANTS[target.arch].items():
        out = BUILD / target.arch / module
        wrapper = out / f"{module}.cpp"
        out.mkdir(parents=True, exist_ok=True)
        # emit_c_code only rewrites the file when its text changes, so the object stays fresh.
        with contextlib.redirect_stdout(io.StringIO()):  # cffi says "generating ..." otherwise
            build_core_module.builder(f"pedal.{module}", "baseline").emit_c_code(str(wrapper))
        cxx = [target.cxx, *build_core_module.build_flags.package_flags(flags_target), "-I", str(ROOT / "csrc")]
        jobs, objects = [], []
        for source in build_core_module.core_sources():
            obj = out / "obj" / Path(source).relative_to("csrc").with_suffix(".o")
            jobs.append(([*cxx, "-c", str(ROOT / source), "-o", str(obj)], obj, [ROOT / source, *headers]))
            objects.append(obj)
        obj = out / "obj" / f"{module}.o"
        jobs.append(([*cxx, *target.include_flags, "-c", str(wrapper), "-o", str(obj)], obj, [wrapper, *headers]))
        objects.append(obj)
        compile_all(jobs)
        library = package / f"{module}{target.extension_suffix}"
        run([target.cxx, *LINK, *map(str, objects), "-o", str(library)])
        run([target.strip, "--strip-unneeded", str(library)])


def vendor_source() -> Path:
    """pyalsaaudio's alsaaudio.c from its release on PyPI (pinned by hash), cached."""
    pin = next(line for line in (PACKAGING / "vendor.txt").read_text().splitlines()
               if line.strip() and not line.startswith("#"))
    name_version, digest = pin.split("--hash=sha256:")
    name, version = name_version.strip().split("==")
    archive = BUILD / "src" / f"{name}-{version}.tar.gz"
    if not archive.exists() or hashlib.sha256(archive.read_bytes()).hexdigest() != digest.strip():
        archive.parent.mkdir(parents=True, exist_ok=True)
        requirement = BUILD / "src" / "vendor.txt"
        requirement.write_text(pin + "\n")
        # Any Python with pip will do (the project's venv by default): it only downloads.
        pip = os.environ.get("PEDAL_PIP_PYTHON") or str(ROOT / ".venv" / "bin" / "python")
        if not Path(pip).exists():
            raise BuildError(f"{pip} does not exist: run `make venv` or set PEDAL_PIP_PYTHON to a Python with pip")
        print(f"deb: fetching the {name} {version} source with pip", flush=True)
        run([pip, "-m", "pip", "download", "-q", "--no-deps", "--no-binary", ":all:", "--require-hashes",
             "-r", str(requirement), "-d", str(archive.parent)])
    source = BUILD / "src" / f"{name}-{version}"
    if not (source / "alsaaudio.c").exists():
        source.mkdir(parents=True, exist_ok=True)
        with tarfile.open(archive) as tar:  # only the two files we use, by name
            for member in ("alsaaudio.c", "LICENSE"):
                data = tar.extractfile(f"{name}-{version}/{member}")
                (source / member).write_bytes(data.read())
    return source


def build_alsaaudio(target: Target, package: Path) -> Path:
    """pedal/_vendor/alsaaudio*.so (pyalsaaudio, linked to the target's libasound.so.2)."""
    source = vendor_source()
    vendor = package / "_vendor"
    vendor.mkdir()
    (vendor / "__init__.py").write_text(
        '"""Libraries the Debian package carries itself (see packaging/build_deb.py)."""\n')
    obj = BUILD / target.arch / "alsaaudio" / "alsaaudio.o"
    compile_all([([target.cc, "-O2", "-fPIC", "-D_FORTIFY_SOURCE=2", "-fstack-protector-strong",
                   *target.include_flags, "-c", str(source / "alsaaudio.c"), "-o", str(obj)],
                  obj, [source / "alsaaudio.c"])])
    library = vendor / f"alsaaudio{target.extension_suffix}"
    run([target.cc, *LINK, str(obj), *target.library_flags, "-lasound", "-o", str(library)])
    run([target.strip, "--strip-unneeded", str(library)])
    return source / "LICENSE"


# --- the file tree -------------------------------------------------------------------------

def install(source: Path, target: Path, mode: int = 0o644) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(source, target)
    target.chmod(mode)


def console_scripts(bin_dir: Path) -> list[str]:
    """/usr/bin/<name> for each [project.scripts] entry (pedald, pedalctl)."""
    names = []
    for name, entry in project().get("scripts", {}).items():
        module, function = entry.split(":")
        script = bin_dir / name
        script.write_text(f"#!/usr/bin/python3\n# {name}: installed by the pedal Debian package.\n"
                          f"import sys\n\nfrom {module} import {function}\n\nsys.exit({function}())\n")
        script.chmod(0o755)
        names.append(name)
    return names


def stage(target: Target, version: str) -> Path:
    """build/deb/<arch>/root: every file of the package, with DEBIAN/."""
    root = BUILD / target.arch / "root"
    shutil.rmtree(root, ignore_errors=True)
    package = root / "usr" / "lib" / "python3" / "dist-packages" / "pedal"
    package.mkdir(parents=True)
    for source in sorted((ROOT / "pedal").glob("*.py")):
        if source.name != "_build_core.py":  # build time only
            install(source, package / source.name)
    for subpackage in SUBPACKAGES:
        for source in sorted((ROOT / "pedal" / subpackage).glob("*.py")):
            install(source, package / subpackage / source.name)
    for source in sorted((ROOT / "pedal" / "data").iterdir()):
        install(source, package / "data" / source.name)
    for source in sorted((ROOT / "pedal" / "web" / "static").iterdir()):
        install(source, package / "web" / "static" / source.name)
    build_core(target, package)
    alsaaudio_license = build_alsaaudio(target, package)

    (root / "usr" / "bin").mkdir(parents=True)
    scripts = console_scripts(root / "usr" / "bin")
    for unit in UNITS:
        install(ROOT / "systemd" / unit, root / "lib" / "systemd" / "system" / unit)
    install(ROOT / "pedal" / "data" / "pedal.toml.example", root / "etc" / "pedal" / "pedal.toml")

    doc = root / "usr" / "share" / "doc" / "pedal"
    install(ROOT / "README.md", doc / "README.md")
    copyright_text = (PACKAGING / "deb" / "copyright").read_text()
    (doc / "copyright").write_text(copyright_text + "\n" + indent_license(alsaaudio_license.read_text()))
    write_changelog(doc / "changelog.gz", version)

    debian = root / "DEBIAN"
    debian.mkdir()
    for script in ("postinst", "prerm", "postrm"):
        install(PACKAGING / "deb" / script, debian / script, 0o755)
    install(PACKAGING / "deb" / "conffiles", debian / "conffiles")
    write_md5sums(root)
    control = (PACKAGING / "deb" / "control.in").read_text().format(
        version=version, arch=target.arch, maintainer=MAINTAINER, installed_size=installed_size(root),
        summary=project()["description"], pyver=PYVER, pyver_next=f"{sys.version_info.major}.{sys.version_info.minor + 1}")
    (debian / "control").write_text(control)
    for path in root.rglob("*"):  # predictable modes whatever the umask
        if path.is_dir():
            path.chmod(0o755)
    print(f"deb: staged {target.arch} ({', '.join('/usr/bin/' + s for s in scripts)})", flush=True)
    return root


def indent_license(text: str) -> str:
    """The pyalsaaudio licence as a copyright-format License: paragraph."""
    lines = [" " + line if line.strip() else " ." for line in text.strip().splitlines()]
    return "License: PSF-2\n" + "\n".join(lines) + "\n"


def write_changelog(path: Path, version: str) -> None:
    date = formatdate(float(os.environ.get("SOURCE_DATE_EPOCH", "1700000000")), localtime=False)
    text = (f"pedal ({version}) bookworm; urgency=medium\n\n"
            f"  * Built from the pedal source tree by packaging/build_deb.py.\n\n"
            f" -- {MAINTAINER}  {date}\n")
    # gzip -9n: maximum compression, no name or time stamp (reproducible).
    path.write_bytes(gzip.compress(text.encode(), compresslevel=9, mtime=0))
    path.chmod(0o644)


def write_md5sums(root: Path) -> None:
    conffiles = set((PACKAGING / "deb" / "conffiles").read_text().split())
    lines = []
    for path in sorted(root.rglob("*")):
        relative = path.relative_to(root).as_posix()
        if path.is_file() and not relative.startswith("DEBIAN/") and "/" + relative not in conffiles:
            lines.append(f"{hashlib.md5(path.read_bytes()).hexdigest()}  {relative}\n")
    (root / "DEBIAN" / "md5sums").write_text("".join(lines))


def installed_size(root: Path) -> int:
    """KiB, as dpkg counts it: each file rounded up to 1 KiB, each directory 1."""
    total = 0
    for path in root.rglob("*"):
        if path.relative_to(root).parts[0] == "DEBIAN":
            continue
        total += (path.stat().st_size + 1023) // 1024 if path.is_file() else 1
    return total


def pack(root: Path, arch: str, version: str, output: Path = DIST) -> Path:
    output.mkdir(parents=True, exist_ok=True)
    deb = output / f"pedal_{version}_{arch}.deb"
    run(["dpkg-deb", "--root-owner-group", "-Zxz", "--build", str(root), str(deb)], stdout=subprocess.DEVNULL)
    return deb


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description="Builds dist/pedal_<version>_<arch>.deb.")
    parser.add_argument("--arch", help="Debian architecture: amd64, arm64, armhf (default: this machine's)")
    parser.add_argument("--version", help="package version (default: pyproject.toml's)")
    parser.add_argument("--output", type=Path, default=DIST, help="folder for the .deb (default: dist/)")
    args = parser.parse_args(argv)
    os.umask(0o022)
    try:
        target = Target(args.arch or host_arch())
        version = args.version or project()["version"]
        deb = pack(stage(target, version), target.arch, version, args.output.resolve())
    except BuildError as error:
        print(f"deb: {error}", file=sys.stderr, flush=True)
        return 1
    print(f"deb: {deb}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
