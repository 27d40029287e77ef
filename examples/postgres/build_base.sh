#!/usr/bin/env bash
# The base image of the PostgreSQL example, from Debian packages, no registry:
# debootstrap (minbase, bookworm) + postgresql-15 + python3-psycopg2, imported
# with `docker import`. Prints the image reference on its last line.
#
# Cached twice: the engine keeps the image (tagged with the recipe's hash, so a
# changed recipe builds anew), and the rootfs tar is kept under
# $TUI_UPGRADER_IMAGE_CACHE (default /var/cache/tui-upgrader) for the next run
# on this machine, whose engine may have been reset.
# Usage: bash examples/postgres/build_base.sh [MIRROR]
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
suite=bookworm
packages=postgresql-15,python3,python3-psycopg2
mirror="${1:-}"
if [ -z "$mirror" ]; then
  # apt's configured mirror (deb822 or one-line sources), else Debian's CDN
  mirror="$(grep -hsE '^(URIs:|deb )' /etc/apt/sources.list.d/*.sources /etc/apt/sources.list \
    | grep -v security | head -n1 | sed -E 's/^URIs: *//; s/^deb +(\[[^]]*\] +)?//; s/ .*//' || true)"
  mirror="${mirror:-http://deb.debian.org/debian}"
fi
# The recipe: this script and the package list (the mirror does not change what is built).
hash="$(cat "$here/build_base.sh" | sha256sum | cut -c1-12)"
ref="tui-upgrader-example/pg-base:$hash"
cache="${TUI_UPGRADER_IMAGE_CACHE:-/var/cache/tui-upgrader}"
tarball="$cache/pg-base-$hash.tar"

if docker image inspect "$ref" >/dev/null 2>&1; then
  echo "$ref"
  exit 0
fi
if [ -f "$tarball" ]; then
  docker import --change 'CMD ["/bin/bash"]' "$tarball" "$ref" >/dev/null
  echo "$ref"
  exit 0
fi
command -v debootstrap >/dev/null || { echo "build_base.sh: needs debootstrap (apt-get install debootstrap)" >&2; exit 2; }
work="$(mktemp -d /var/tmp/pg-base.XXXXXX)"
trap 'rm -rf "$work"' EXIT
root="$work/root"
mkdir -p "$root/etc/postgresql-common/createcluster.d"
# No cluster in the image: the example's entrypoint makes one in data/.
echo 'create_main_cluster = false' >"$root/etc/postgresql-common/createcluster.d/no-main.conf"
debootstrap --variant=minbase --include="$packages" "$suite" "$root" "$mirror" >&2
rm -rf "$root"/var/cache/apt/archives/*.deb "$root"/var/lib/apt/lists/*
mkdir -p "$cache"
chmod 0755 "$cache"
tar -C "$root" --numeric-owner -cf "$tarball.tmp" .
mv "$tarball.tmp" "$tarball"
docker import --change 'CMD ["/bin/bash"]' "$tarball" "$ref" >/dev/null
echo "$ref"
