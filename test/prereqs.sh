#!/bin/sh
# Installs what the test suite needs and the machine lacks (Debian / Raspberry Pi OS), idempotently:
# Bun (from npm), podman + runc + busybox-static (real containers), docker.io (second runtime),
# etcd (benchmark reference), qemu-user-static + arm64 libc (arm64 build smoke test), shellcheck,
# openssh-server (remote install tests), python3-kubernetes (official Python client), iproute2.
set -eu
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"

missing=""
need() { # need <command-or-path> <debian package>
  case "$1" in
    /*) [ -e "$1" ] || missing="$missing $2" ;;
    *) command -v "$1" >/dev/null 2>&1 || missing="$missing $2" ;;
  esac
}
need podman podman
need runc runc
need /bin/busybox busybox-static
need dockerd docker.io
need etcd etcd-server
need etcdctl etcd-client
need qemu-aarch64-static qemu-user-static
need /usr/aarch64-linux-gnu/lib/ld-linux-aarch64.so.1 libc6-arm64-cross
need shellcheck shellcheck
need sshd openssh-server
need ip iproute2
need curl curl
/usr/bin/python3 -c 'import kubernetes' 2>/dev/null || missing="$missing python3-kubernetes"

if [ -n "$missing" ]; then
  echo "test prerequisites: installing$missing"
  $SUDO apt-get update -qq
  # shellcheck disable=SC2086
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends $missing >/dev/null
fi

if ! command -v bun >/dev/null 2>&1; then
  echo "test prerequisites: installing Bun with npm"
  $SUDO npm install -g bun >/dev/null 2>&1
fi
