#!/usr/bin/env bash
# Brings up what the test suite needs, on a Debian machine: `make test` and
# `.ci/run` both call it. Parts, each started only when missing:
#   venv      Python's venv and ensurepip (Debian's python3-venv)
#   chromium  Debian's chromium, which the browser tests drive through
#             Playwright (no browser download)
#   strace    Debian's strace, which traces shell steps' reads and writes
#   docker    a Docker engine, the base image repro-base:bookworm (built
#             locally with debootstrap, since no public registry is
#             reachable) and an image registry on 127.0.0.1:5000
# `bash scripts/services.sh [PART...]` brings up the parts named (all by
# default). As root it installs and starts what is missing; as anyone else
# it starts nothing and prints one line per missing part saying how to start
# it (the tests that need that part then skip, or fail under CI=true).
# Idempotent: whatever already answers is left alone, so a second run costs
# a few checks. Quiet on success but for one summary line per part.
set -euo pipefail

PYTHON=${PYTHON:-python3}
BASE_IMAGE=repro-base:bookworm
PARTIAL_IMAGE=repro-base:partial
BUILD_PREFIX=/var/tmp/repro-base
MIRROR=http://deb.debian.org/debian
REGISTRY_ADDR=127.0.0.1:5000
REGISTRY_DIR=/var/lib/repro-registry
REGISTRY_LOG=/var/log/repro-registry.log
DOCKERD_LOG=/var/log/repro-dockerd.log
ENGINE_WAIT=30
REGISTRY_WAIT=15
AS_ROOT_HINT="as root: bash scripts/services.sh"
APT_UPDATED=

die() {
    echo "services: $*" >&2
    exit 1
}

# Prints a command's output only when it fails, so success stays quiet.
quietly() {
    local log
    log=$(mktemp)
    if ! "$@" >"$log" 2>&1; then
        tail -n 30 "$log" >&2
        rm -f "$log"
        die "failed: $*"
    fi
    rm -f "$log"
}

installed() {
    dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q "install ok installed"
}

# Installs the Debian packages named that are not installed yet.
apt_install() {
    local missing=() pkg
    for pkg in "$@"; do
        installed "$pkg" || missing+=("$pkg")
    done
    [ ${#missing[@]} -eq 0 ] && return 0
    export DEBIAN_FRONTEND=noninteractive
    if [ -z "$APT_UPDATED" ]; then
        quietly apt-get update -qq
        APT_UPDATED=1
    fi
    quietly apt-get install -y -qq "${missing[@]}"
}

is_root() {
    [ "$(id -u)" -eq 0 ]
}

# One line for a part that is missing and that this user cannot start.
missing() {
    echo "services: $1: not available; $2"
}

venv_works() {
    "$PYTHON" -c 'import ensurepip, venv' >/dev/null 2>&1
}

part_venv() {
    venv_works && return 0
    if ! is_root; then
        missing "$PYTHON -m venv" "as root: apt-get install python3-venv"
        return 0
    fi
    apt_install python3-venv
    venv_works || die "$PYTHON still has no venv after installing python3-venv"
}

# REPRO_CHROMIUM names another browser, as it does for the tests: then
# nothing is installed.
part_chromium() {
    local path
    if [ -n "${REPRO_CHROMIUM:-}" ]; then
        path=$REPRO_CHROMIUM
        if [ ! -x "$path" ]; then
            missing "Chromium (the browser tests)" \
                "REPRO_CHROMIUM=$path is not an executable: point it at a browser or unset it"
            return 0
        fi
    elif ! path=$(command -v chromium); then
        if ! is_root; then
            missing "Chromium (the browser tests)" "as root: apt-get install chromium"
            return 0
        fi
        apt_install chromium
        path=$(command -v chromium) || die "no chromium on PATH after installing Debian's chromium"
    fi
    echo "services: $("$path" --version 2>/dev/null || echo "Chromium at $path")"
}

part_strace() {
    if ! command -v strace >/dev/null; then
        if ! is_root; then
            missing "strace (tracing shell steps)" "as root: apt-get install strace"
            return 0
        fi
        apt_install strace
    fi
    echo "services: $(strace -V | head -n 1)"
}

engine_answers() {
    docker info >/dev/null 2>&1
}

# Polls "$3..." once a second until it succeeds, for at most $2 seconds,
# or until the daemon of pid $1 has exited (then it never will).
wait_for() {
    local pid=$1 seconds=$2
    shift 2
    for _ in $(seq "$seconds"); do
        "$@" && return 0
        kill -0 "$pid" 2>/dev/null || return 1
        sleep 1
    done
    "$@"
}

start_engine() {
    engine_answers && return 0
    # setsid: the engine must outlive this script and its CI step's group.
    # 9>&-: a daemon that kept the lock's descriptor would hold the lock.
    setsid nohup dockerd >"$DOCKERD_LOG" 2>&1 </dev/null 9>&- &
    if ! wait_for $! "$ENGINE_WAIT" engine_answers; then
        tail -n 20 "$DOCKERD_LOG" >&2 || true
        die "dockerd exited or did not answer within ${ENGINE_WAIT}s (log: $DOCKERD_LOG)"
    fi
}

# The apt caches are rebuilt by `apt-get update` in any image built on top;
# shipping them would only double the size of every push.
trim_rootfs() {
    local root=$1
    find "$root/var/cache/apt" -type f \( -name '*.deb' -o -name '*.bin' \) -delete
    find "$root/var/lib/apt/lists" -maxdepth 1 -type f ! -name lock -delete
}

# Removes a build's root tree. A build killed mid-way leaves debootstrap's
# /proc and /sys mounts inside it: unmount them, and never let rm cross into
# another file system.
remove_rootfs() {
    local root=$1
    findmnt -rn -o TARGET | awk -v root="$root/" 'index($0, root) == 1' | sort -r |
        xargs -r umount -l
    rm -rf --one-file-system "$root"
}

# Whatever an earlier, killed build left: it cannot be running, since the
# lock is ours.
remove_stale_builds() {
    local root
    for root in "$BUILD_PREFIX".*; do
        [ -d "$root" ] && remove_rootfs "$root"
    done
    docker image ls -q --filter "reference=$PARTIAL_IMAGE-*" | sort -u |
        xargs -r docker rmi -f >/dev/null
}

build_base_image() {
    docker image inspect "$BASE_IMAGE" >/dev/null 2>&1 && return 0
    remove_stale_builds
    local rootfs partial="$PARTIAL_IMAGE-$$"
    rootfs=$(mktemp -d "$BUILD_PREFIX.XXXXXX")
    # shellcheck disable=SC2064  # expand now: the trap must name this build
    trap "remove_rootfs '$rootfs'; docker rmi -f '$partial' >/dev/null 2>&1 || true" EXIT
    trap 'exit 130' INT TERM HUP
    quietly debootstrap --variant=minbase --include=python3,python3-venv \
        bookworm "$rootfs" "$MIRROR"
    trim_rootfs "$rootfs"
    # Imported under a temporary tag, then retagged: an interrupted build
    # never leaves a half image under the name the tests look for.
    tar -C "$rootfs" -c . | docker import --change 'ENV LANG=C.UTF-8' \
        --change 'CMD ["python3"]' - "$partial" >/dev/null ||
        die "docker import of the base image failed"
    docker tag "$partial" "$BASE_IMAGE"
    docker rmi "$partial" >/dev/null
    remove_rootfs "$rootfs"
    trap - EXIT INT TERM HUP
}

registry_answers() {
    # A bounded wait: whatever else holds the port may never answer.
    curl -fsS --max-time 5 -o /dev/null "http://$REGISTRY_ADDR/v2/" 2>/dev/null
}

write_registry_config() {
    mkdir -p "$REGISTRY_DIR/data"
    cat >"$REGISTRY_DIR/config.yml" <<EOF
version: 0.1
log:
  level: warn
  accesslog:
    disabled: true
storage:
  filesystem:
    rootdirectory: $REGISTRY_DIR/data
  delete:
    enabled: true
http:
  addr: $REGISTRY_ADDR
EOF
}

start_registry() {
    registry_answers && return 0
    write_registry_config
    setsid nohup /usr/bin/docker-registry serve "$REGISTRY_DIR/config.yml" \
        >>"$REGISTRY_LOG" 2>&1 </dev/null 9>&- &
    if ! wait_for $! "$REGISTRY_WAIT" registry_answers; then
        tail -n 20 "$REGISTRY_LOG" >&2 || true
        die "the registry exited or did not answer on $REGISTRY_ADDR within ${REGISTRY_WAIT}s" \
            "(log: $REGISTRY_LOG)"
    fi
}

docker_summary() {
    local version image_id
    version=$(docker version --format '{{.Server.Version}}')
    image_id=$(docker image inspect --format '{{.Id}}' "$BASE_IMAGE")
    image_id=${image_id#sha256:}
    echo "services: Docker engine $version, $BASE_IMAGE ${image_id:0:12}," \
        "registry http://$REGISTRY_ADDR"
}

# What a user who cannot install or start daemons is missing, one line each.
report_docker() {
    if ! engine_answers; then
        missing "a Docker engine (the Docker tests)" "$AS_ROOT_HINT"
        return 0
    fi
    docker image inspect "$BASE_IMAGE" >/dev/null 2>&1 ||
        missing "the base image $BASE_IMAGE (the Docker tests)" "$AS_ROOT_HINT"
    registry_answers ||
        missing "an image registry on $REGISTRY_ADDR (the Docker tests)" "$AS_ROOT_HINT"
}

part_docker() {
    if ! is_root; then
        report_docker
        return 0
    fi
    # Two runs at once (say, a developer and CI) would build the image twice.
    exec 9>/var/lock/repro-services.lock
    flock -w 300 9 || die "another run of this script has held its lock for 5 minutes"
    apt_install docker.io docker-registry debootstrap curl
    start_engine
    build_base_image
    start_registry
    exec 9>&-
    docker_summary
}

main() {
    local parts=("$@") part
    [ ${#parts[@]} -gt 0 ] || parts=(venv chromium strace docker)
    for part in "${parts[@]}"; do
        case $part in
        venv | chromium | strace | docker) ;;
        *) die "unknown part $part (known: venv chromium strace docker)" ;;
        esac
    done
    for part in "${parts[@]}"; do
        "part_$part"
    done
}

main "$@"
