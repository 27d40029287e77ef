#!/usr/bin/env bash
# The base image of the PostgreSQL example, from Debian packages, no registry:
# debootstrap (minbase, bookworm) + postgresql-15 + python3-psycopg2, imported
# with `docker import`. Prints the image reference on its last line.
#
# Cached twice, keyed by the recipe's hash (suite, packages, what is left out):
# the engine keeps the image (tagged with the hash, so a changed recipe builds
# anew), and the rootfs tar is kept under $TUI_UPGRADER_IMAGE_CACHE (default
# /var/cache/tui-upgrader) for the next run on this machine, whose engine may
# have been reset: loading it takes seconds, building it a minute or three.
# Usage: bash examples/postgres/build_base.sh [MIRROR]   (default: apt's own mirror)
set -euo pipefail
suite=bookworm
packages=postgresql-15,python3,python3-psycopg2
# Left out (481 -> 275 MB; the image is saved into every release package): the
# LLVM JIT (the example runs PostgreSQL with jit=off), docs, man pages, translations.
slim=(var/cache/apt/*.bin var/cache/apt/archives/*.deb var/lib/apt/lists/*
  usr/lib/*/libLLVM* usr/lib/postgresql/15/lib/bitcode usr/lib/postgresql/15/lib/llvmjit*
  usr/share/doc/* usr/share/man/* usr/share/locale/* usr/share/info/*)
hash="$(printf '%s\n' "$suite" "$packages" "${slim[@]}" | sha256sum | cut -c1-12)"
ref="tui-upgrader-example/pg-base:$hash"
alias="tui-upgrader-example/pg-base:bookworm"  # the name examples/postgres/release/.env uses
cache="${TUI_UPGRADER_IMAGE_CACHE:-/var/cache/tui-upgrader}"
tarball="$cache/pg-base-$hash.tar"

publish() {
  docker tag "$ref" "$alias"
  echo "$ref"
}

if docker image inspect "$ref" >/dev/null 2>&1; then
  publish
  exit 0
fi
if [ -f "$tarball" ]; then
  echo "build_base.sh: importing the cached $tarball" >&2
  docker import --change 'CMD ["/bin/bash"]' "$tarball" "$ref" >/dev/null
  publish
  exit 0
fi

mirror="${1:-}"
if [ -z "$mirror" ]; then
  # apt's configured mirror (deb822 or one-line sources), else Debian's CDN
  mirror="$(grep -hsE '^(URIs:|deb )' /etc/apt/sources.list.d/*.sources /etc/apt/sources.list \
    | grep -v security | head -n1 | sed -E 's/^URIs: *//; s/^deb +(\[[^]]*\] +)?//; s/ .*//' || true)"
  mirror="${mirror:-http://deb.debian.org/debian}"
fi
command -v debootstrap >/dev/null ||
  { echo "build_base.sh: needs debootstrap (apt-get install debootstrap)" >&2; exit 2; }
work="$(mktemp -d /var/tmp/pg-base.XXXXXX)"
root="$work/root"
cleanup() {
  # debootstrap mounts proc and sys in the target: never delete through them.
  umount -R "$root/proc" "$root/sys" 2>/dev/null || true
  rm -rf --one-file-system "$work"
}
trap cleanup EXIT
mkdir -p "$root/etc/postgresql-common/createcluster.d"
# No cluster in the image: the example's entrypoint makes one in data/.
echo 'create_main_cluster = false' >"$root/etc/postgresql-common/createcluster.d/no-main.conf"
echo "build_base.sh: debootstrap $suite from $mirror" >&2
debootstrap --variant=minbase --include="$packages" "$suite" "$root" "$mirror" >&2
(cd "$root" && for pattern in "${slim[@]}"; do
  # shellcheck disable=SC2086  # the globs are the point
  rm -rf -- $pattern
done)
mkdir -p "$cache"
chmod 0755 "$cache"
rm -f "$cache"/pg-base-*.tar  # older recipes
tar -C "$root" --numeric-owner -cf "$tarball.tmp" .
mv "$tarball.tmp" "$tarball"
docker import --change 'CMD ["/bin/bash"]' "$tarball" "$ref" >/dev/null
publish
