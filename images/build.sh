#!/bin/sh
# Build the Antrean SD card image (as root). Settings: images/build.conf, each one
# overridable from the environment, e.g.  ANTREAN_IMG_COMPRESS=zstd images/build.sh
#   images/build.sh                  base (cached) + image in images/out/
#   images/build.sh --install-deps   first install the build tools (apt), then build
#   images/build.sh --base-only      only build / refresh the cached Debian base
set -eu
cd "$(dirname "$0")/.."
if [ "$(id -u)" -ne 0 ]; then
    echo "images/build.sh: run as root (mmdebstrap, chroot and file owners need it)" >&2
    exit 2
fi
if [ "${1:-}" = "--install-deps" ]; then
    shift
    scripts/install-system-deps --image
fi
# The project's virtualenv has pip and the antrean package the build reuses.
[ -x .venv/bin/python ] || make install
exec .venv/bin/python -m images.build "$@"
