#!/bin/sh
# Installs the Debian packages a target needs, and only the missing ones:
#   tools/setup-system.sh test   # compilers, sanitizers, cross toolchains, qemu
#   tools/setup-system.sh run    # what the pedal needs to play
#   tools/setup-system.sh deb    # what make deb needs (cffi, lintian, debootstrap, cross compilers)
# Uses apt-get directly as root, through sudo otherwise; does nothing when all
# packages are present (so it is cheap to call from every make target).
set -eu

# jackd2, libasound2-plugins (ALSA's jack plugin) and alsa-utils: `make run` and the
# end-to-end test play through JACK's dummy driver on machines without a sound card.
common="g++ make python3 python3-venv python3-dev libasound2-dev jackd2 libasound2-plugins alsa-utils"
# The Debian package (make deb): Debian's cffi emits the core's wrapper for the
# python3-cffi-backend it will run on; lintian checks it; the test installs it
# into a debootstrap chroot.
deb="python3-cffi lintian debootstrap"
# The Pi's own targets: on an arm64 host the native compiler is the aarch64 one.
cross=""
[ "$(uname -m)" = aarch64 ] || cross="$cross g++-aarch64-linux-gnu"
[ "$(uname -m)" = armv7l ] || cross="$cross g++-arm-linux-gnueabihf"
case "${1:-test}" in
    run) wanted="$common" ;;
    deb) wanted="$common $deb $cross" ;;
    # openssh-server/-client: the pedalctl --host test runs a real sshd on loopback.
    # fluidsynth, fluid-soundfont-gm: the tuner's tests pluck sampled guitars and basses.
    # chromium, chromium-driver: the web page's test drives a real browser, headless.
    test) wanted="$common clang libclang-rt-dev qemu-user valgrind systemd openssh-server openssh-client fluidsynth fluid-soundfont-gm chromium chromium-driver $deb $cross" ;;
    *) echo "usage: $0 test|run|deb" >&2; exit 2 ;;
esac

missing=""
for package in $wanted; do
    dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "ok installed" || missing="$missing $package"
done
[ -z "$missing" ] && exit 0

echo "installing Debian packages:$missing"
if [ "$(id -u)" = 0 ]; then
    sudo=""
elif command -v sudo >/dev/null 2>&1; then
    sudo="sudo"
else
    echo "error: need root or sudo to install:$missing" >&2
    exit 1
fi
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends $missing
