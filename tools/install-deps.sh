#!/bin/sh
# Installs what building, testing and the demo need on Debian 12, and nothing when it is all there.
# Called by `make demo`, `make test` and .ci/run; safe to run again.
set -eu

PACKAGES="
build-essential pkg-config meson ninja-build
libglib2.0-dev libgstreamer1.0-dev libgstreamer-plugins-base1.0-dev
libsoup-3.0-dev libjson-glib-dev libssl-dev libjpeg-dev libpng-dev zlib1g-dev
gstreamer1.0-tools gstreamer1.0-plugins-base gstreamer1.0-plugins-base-apps gstreamer1.0-plugins-good gstreamer1.0-x
gstreamer1.0-plugins-bad gstreamer1.0-plugins-ugly gstreamer1.0-libav
ges1.0-tools gir1.2-ges-1.0
fonts-dejavu-core
python3-gi python3-gst-1.0 gir1.2-gstreamer-1.0 gir1.2-gst-plugins-base-1.0
python3-pytest python3-jwt
valgrind indent
clang libclang-rt-14-dev
"

missing=""
for p in $PACKAGES; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
[ -z "$missing" ] && exit 0

echo "Installing:$missing"
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -q
# shellcheck disable=SC2086
$SUDO apt-get install -y -q --no-install-recommends $missing
