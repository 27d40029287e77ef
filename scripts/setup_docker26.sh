#!/usr/bin/env bash
# Docker 26 beside the system engine, for the compatibility tests
# (tests/support/engines.py starts private engines from it; nothing runs here).
#
#   sudo scripts/setup_docker26.sh          # prints the cache dir on its last line
#
# Debian 13's docker.io 26.1.x, containerd 1.7.x and tini, fetched with
# `apt-get download` through a private sources list that names trixie and a
# private list/cache dir, then unpacked with `dpkg -x` into CACHE. The system's
# apt sources, its dpkg database and its Docker engine are never touched, so
# nothing is installed over the system's 20.10. runc stays the system's (trixie's
# needs a newer glibc). Idempotent: a cache whose binaries report the right
# versions is reused as it is.
set -euo pipefail

CACHE="${TUI_UPGRADER_DOCKER26_CACHE:-/var/cache/tui-upgrader/docker26}"
SUITE="trixie"
PACKAGES=(docker.io containerd tini)
KEYRING="/usr/share/keyrings/debian-archive-keyring.gpg"

log() { printf 'setup_docker26: %s\n' "$*" >&2; }
die() { printf 'setup_docker26: ERROR: %s\n' "$*" >&2; exit 1; }

# Prints nothing and fails unless ROOT holds dockerd 26.1 and containerd 1.7.
versions_ok() {
    local root="$1" dockerd containerd
    dockerd="$("$root/usr/sbin/dockerd" --version 2>/dev/null)" || return 1
    containerd="$("$root/usr/bin/containerd" --version 2>/dev/null)" || return 1
    [[ "$dockerd" == "Docker version 26.1."* ]] || return 1
    [[ "$containerd" == *" 1.7."* ]] || return 1
    [ -x "$root/usr/bin/containerd-shim-runc-v2" ] && [ -x "$root/usr/bin/tini-static" ]
}

if versions_ok "$CACHE/root"; then
    log "cached: $("$CACHE/root/usr/sbin/dockerd" --version) in $CACHE"
    echo "$CACHE"
    exit 0
fi
[ "$(id -u)" -eq 0 ] || die "run as root (apt-get download and $CACHE need it)"
command -v runc >/dev/null || die "no runc on PATH (scripts/setup_engine.sh installs docker.io, which brings it)"
[ -r "$KEYRING" ] || die "$KEYRING missing (package debian-archive-keyring)"

# The mirror the system already uses for its own suite, so no host is named here.
codename="$(. /etc/os-release && echo "${VERSION_CODENAME:-}")"
mirror="$(apt-get indextargets --format '$(REPO_URI) $(RELEASE) $(COMPONENT)' \
    'Created-By: Packages' | awk -v s="$codename" '$2 == s && $3 == "main" {print $1; exit}')"
if [ -z "$mirror" ]; then
    # No lists yet (a fresh or slimmed machine): read the sources files themselves.
    mirror="$(cat /etc/apt/sources.list.d/*.sources 2>/dev/null | awk -v s="$codename" '
        /^URIs:/ {uri = $2} /^Suites:/ {for (i = 2; i <= NF; i++) if ($i == s) {print uri; exit}}')"
fi
if [ -z "$mirror" ]; then
    mirror="$(cat /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null | awk -v s="$codename" '
        $1 == "deb" {n = 2; if ($2 ~ /^\[/) while ($n !~ /\]$/) n++; if ($2 ~ /^\[/) n++;
                     if ($(n + 1) == s) {print $n; exit}}')"
fi
[ -n "$mirror" ] || die "no Debian mirror for '$codename' in the system's apt sources"

install -d -m 0755 "$(dirname "$CACHE")"
work="$(mktemp -d "$(dirname "$CACHE")/.docker26-XXXXXX")"
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/lists/partial" "$work/cache/archives/partial" "$work/debs" "$work/root"
echo "deb [signed-by=$KEYRING] $mirror $SUITE main" >"$work/sources.list"
apt_private=(
    -o "Dir::Etc::SourceList=$work/sources.list"
    -o "Dir::Etc::SourceParts=/dev/null"
    -o "Dir::State::Lists=$work/lists"
    -o "Dir::Cache=$work/cache"
    -o "APT::Sandbox::User=root"
)
log "fetching ${PACKAGES[*]} from $SUITE (private lists in $work)"
apt-get -q "${apt_private[@]}" update >&2
(cd "$work/debs" && apt-get -q "${apt_private[@]}" download "${PACKAGES[@]}" >&2)
for deb in "$work"/debs/*.deb; do
    dpkg-deb -x "$deb" "$work/root"
done
versions_ok "$work/root" || die "the $SUITE packages did not give dockerd 26.1 / containerd 1.7: $(
    "$work/root/usr/sbin/dockerd" --version 2>&1 || true)"
ls "$work"/debs/*.deb | xargs -n1 basename >"$work/root/PACKAGES"
rm -rf "$CACHE.old"
[ -e "$CACHE" ] && mv "$CACHE" "$CACHE.old"
install -d -m 0755 "$CACHE"
mv "$work/root" "$CACHE/root"
rm -rf "$CACHE.old"
log "unpacked $("$CACHE/root/usr/sbin/dockerd" --version) and $("$CACHE/root/usr/bin/containerd" --version) in $CACHE"
echo "$CACHE"
