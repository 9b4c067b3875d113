#!/bin/sh
# kite installer.
#
#   From a checkout:         ./install.sh                      (builds with Bun, installing Bun if missing)
#   A downloaded binary:     KITE_BINARY=./kite-linux-arm64 ./install.sh
#   Piped:                   curl -sfL https://example.org/kite/install.sh | KITE_BINARY=/tmp/kite sh -
#
# Role selection follows k3s: no KITE_URL installs a server (with an agent); KITE_URL set installs an
# agent (KITE_TOKEN or KITE_TOKEN_FILE required). Extra arguments: INSTALL_KITE_EXEC="server --tls-san x",
# or `sh -s - server --tls-san x`.
#
# Environment:
#   KITE_BINARY                 install this binary instead of building
#   KITE_URL, KITE_TOKEN, KITE_TOKEN_FILE, KITE_*   written to the service's environment file
#   INSTALL_KITE_EXEC           command and flags for the service
#   INSTALL_KITE_BIN_DIR        where kite goes (default /usr/local/bin)
#   INSTALL_KITE_SYSTEMD_DIR    systemd unit directory (default /etc/systemd/system)
#   INSTALL_KITE_CONFIG_DIR     configuration directory (default /etc/kite)
#   INSTALL_KITE_INIT           systemd | openrc | none (default: detected)
#   INSTALL_KITE_SKIP_START     true: install but do not start
#   INSTALL_KITE_SKIP_RUNTIME   true: do not install podman when no container runtime is found
#   INSTALL_KITE_FORCE_RESTART  true: restart even when nothing changed
set -eu

info() { echo "[INFO]  $*"; }
warn() { echo "[WARN]  $*" >&2; }
fatal() {
  echo "[ERROR] $*" >&2
  exit 1
}

SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1; then SUDO="sudo"; else fatal "run as root (or install sudo)"; fi
fi

# --- environment -------------------------------------------------------------------------------

setup_env() {
  BIN_DIR=${INSTALL_KITE_BIN_DIR:-/usr/local/bin}
  SYSTEMD_DIR=${INSTALL_KITE_SYSTEMD_DIR:-/etc/systemd/system}
  CONFIG_DIR=${INSTALL_KITE_CONFIG_DIR:-/etc/kite}
  DATA_DIR=${KITE_DATA_DIR:-/var/lib/kite}

  if [ -n "${INSTALL_KITE_EXEC:-}" ]; then
    # shellcheck disable=SC2086
    set -- $INSTALL_KITE_EXEC "$@"
  fi
  case "${1:-}" in
    server | agent)
      CMD_KITE=$1
      shift
      ;;
    "")
      if [ -n "${KITE_URL:-}" ]; then CMD_KITE=agent; else CMD_KITE=server; fi
      ;;
    -*)
      if [ -n "${KITE_URL:-}" ]; then CMD_KITE=agent; else CMD_KITE=server; fi
      ;;
    *) fatal "unknown command '$1' (expected server or agent)" ;;
  esac
  CMD_ARGS="$*"

  if [ "$CMD_KITE" = agent ]; then
    [ -n "${KITE_URL:-}" ] || fatal "an agent needs KITE_URL (https://server:6443)"
    case "$KITE_URL" in https://*) ;; *) fatal "KITE_URL must start with https://" ;; esac
    [ -n "${KITE_TOKEN:-}" ] || [ -n "${KITE_TOKEN_FILE:-}" ] || fatal "an agent needs KITE_TOKEN or KITE_TOKEN_FILE"
    SERVICE_NAME=kite-agent
  else
    SERVICE_NAME=kite
  fi
  UNINSTALL_SH="$BIN_DIR/$SERVICE_NAME-uninstall.sh"
  ENV_FILE="$CONFIG_DIR/$SERVICE_NAME.env"
  SERVICE_FILE="$SYSTEMD_DIR/$SERVICE_NAME.service"
}

setup_arch() {
  case "$(uname -m)" in
    x86_64 | amd64) ARCH=amd64 ;;
    aarch64 | arm64) ARCH=arm64 ;;
    *) fatal "unsupported architecture $(uname -m) (kite runs on amd64 and arm64)" ;;
  esac
}

detect_init() {
  INIT=${INSTALL_KITE_INIT:-}
  if [ -z "$INIT" ]; then
    if [ -d /run/systemd/system ] && command -v systemctl >/dev/null 2>&1; then
      INIT=systemd
    elif command -v openrc-run >/dev/null 2>&1 && [ -d /etc/init.d ]; then
      INIT=openrc
    else
      INIT=none
    fi
  fi
  case "$INIT" in systemd | openrc | none) ;; *) fatal "INSTALL_KITE_INIT must be systemd, openrc or none" ;; esac
}

hash_of() {
  if [ -e "$1" ]; then sha256sum "$1" | cut -d' ' -f1; else echo none; fi
}

# --- binary ------------------------------------------------------------------------------------

ensure_bun() {
  if command -v bun >/dev/null 2>&1; then return; fi
  if ! command -v npm >/dev/null 2>&1; then
    if command -v apt-get >/dev/null 2>&1; then
      info "installing Node.js and npm (to install Bun)"
      $SUDO apt-get update -qq
      DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq nodejs npm >/dev/null
    else
      fatal "Bun is needed to build kite; install Bun or npm first"
    fi
  fi
  info "installing Bun with npm"
  $SUDO npm install -g bun >/dev/null 2>&1 || fatal "npm install -g bun failed"
  command -v bun >/dev/null 2>&1 || fatal "bun is not on PATH after installing it"
}

obtain_binary() {
  if [ -n "${KITE_BINARY:-}" ]; then
    [ -f "$KITE_BINARY" ] || fatal "KITE_BINARY=$KITE_BINARY does not exist"
    SRC_BINARY=$KITE_BINARY
    return
  fi
  script_dir=$( (cd "$(dirname "$0")" 2>/dev/null && pwd) || true)
  if [ -n "$script_dir" ] && [ -f "$script_dir/package.json" ] && [ -f "$script_dir/src/main.ts" ]; then
    ensure_bun
    info "building kite from $script_dir"
    (cd "$script_dir" && bun install --frozen-lockfile >/dev/null && bun run build >/dev/null) || fatal "build failed"
    SRC_BINARY="$script_dir/dist/kite"
    return
  fi
  fatal "no kite binary: run this script from a kite checkout, or set KITE_BINARY=/path/to/kite-linux-$ARCH"
}

install_binary() {
  $SUDO mkdir -p "$BIN_DIR"
  if [ "$(hash_of "$SRC_BINARY")" = "$(hash_of "$BIN_DIR/kite")" ]; then
    info "kite in $BIN_DIR is up to date"
    return
  fi
  info "installing kite to $BIN_DIR/kite"
  $SUDO cp "$SRC_BINARY" "$BIN_DIR/kite.tmp.$$"
  $SUDO chmod 0755 "$BIN_DIR/kite.tmp.$$"
  $SUDO mv -f "$BIN_DIR/kite.tmp.$$" "$BIN_DIR/kite"
  "$BIN_DIR/kite" --version >/dev/null 2>&1 || fatal "the installed kite does not run on this machine ($ARCH)"
}

ensure_runtime() {
  [ "$CMD_KITE" = server ] && case " $CMD_ARGS " in *" --disable-agent "*) return ;; esac
  if command -v podman >/dev/null 2>&1 || command -v docker >/dev/null 2>&1; then return; fi
  if [ "${INSTALL_KITE_SKIP_RUNTIME:-}" = true ]; then
    warn "no podman or docker found: pods will not run until one is installed"
    return
  fi
  if command -v apt-get >/dev/null 2>&1; then
    info "installing podman (no container runtime found)"
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq podman >/dev/null || warn "could not install podman"
  else
    warn "no podman or docker found: install one of them to run pods"
  fi
}

# --- service files -----------------------------------------------------------------------------

write_env_file() {
  $SUDO mkdir -p "$CONFIG_DIR"
  tmp=$(mktemp)
  env | grep -E '^KITE_' | grep -v -E '^KITE_BINARY=' | sort >"$tmp" || true
  $SUDO install -m 0600 "$tmp" "$ENV_FILE"
  rm -f "$tmp"
}

write_uninstall() {
  tmp=$(mktemp)
  cat >"$tmp" <<EOF
#!/bin/sh
# Removes $SERVICE_NAME installed by kite's install.sh.
set -x
[ "\$(id -u)" -eq 0 ] || exec sudo "\$0" "\$@"
if command -v systemctl >/dev/null 2>&1 && [ -f "$SERVICE_FILE" ]; then
  systemctl stop $SERVICE_NAME || true
  systemctl disable $SERVICE_NAME || true
  rm -f "$SERVICE_FILE"
  systemctl daemon-reload || true
fi
if [ -f /etc/init.d/$SERVICE_NAME ]; then
  rc-service $SERVICE_NAME stop || true
  rc-update delete $SERVICE_NAME default || true
  rm -f /etc/init.d/$SERVICE_NAME
fi
if [ -f "$DATA_DIR/$SERVICE_NAME.pid" ]; then
  kill "\$(cat "$DATA_DIR/$SERVICE_NAME.pid")" 2>/dev/null || true
  sleep 2
fi
# Containers started by kite carry the io.kite.node label.
for rt in podman docker; do
  if command -v \$rt >/dev/null 2>&1; then
    ids=\$(\$rt ps -aq --filter label=io.kite.node 2>/dev/null || true)
    [ -n "\$ids" ] && \$rt rm -f \$ids >/dev/null 2>&1 || true
    if [ \$rt = podman ]; then
      pods=\$(podman pod ps -q --filter label=io.kite.node 2>/dev/null || true)
      [ -n "\$pods" ] && podman pod rm -f \$pods >/dev/null 2>&1 || true
    fi
  fi
done
rm -rf "$DATA_DIR" "$ENV_FILE"
rm -f "$CONFIG_DIR/kite.yaml"
rmdir "$CONFIG_DIR" 2>/dev/null || true
rm -f "$BIN_DIR/kite" "$UNINSTALL_SH"
EOF
  $SUDO install -m 0755 "$tmp" "$UNINSTALL_SH"
  rm -f "$tmp"
}

write_systemd_unit() {
  tmp=$(mktemp)
  cat >"$tmp" <<EOF
[Unit]
Description=kite - lightweight Kubernetes ($CMD_KITE)
Documentation=https://example.org/kite
Wants=network-online.target
After=network-online.target

[Service]
Type=exec
EnvironmentFile=-$ENV_FILE
ExecStart=$BIN_DIR/kite $CMD_KITE $CMD_ARGS
KillMode=mixed
TimeoutStopSec=15
Restart=always
RestartSec=5s
LimitNOFILE=1048576
Delegate=yes

[Install]
WantedBy=multi-user.target
EOF
  $SUDO mkdir -p "$SYSTEMD_DIR"
  $SUDO install -m 0644 "$tmp" "$SERVICE_FILE"
  rm -f "$tmp"
}

write_openrc_service() {
  tmp=$(mktemp)
  cat >"$tmp" <<EOF
#!/sbin/openrc-run
description="kite - lightweight Kubernetes ($CMD_KITE)"
supervisor=supervise-daemon
command="$BIN_DIR/kite"
command_args="$CMD_KITE $CMD_ARGS"
output_log=/var/log/$SERVICE_NAME.log
error_log=/var/log/$SERVICE_NAME.log
respawn_delay=5
respawn_max=0
depend() { need net; after firewall; }
start_pre() { set -a; [ -f "$ENV_FILE" ] && . "$ENV_FILE"; set +a; }
EOF
  $SUDO install -m 0755 "$tmp" "/etc/init.d/$SERVICE_NAME"
  rm -f "$tmp"
}

# --- start -------------------------------------------------------------------------------------

start_service() {
  before=$1
  after="$(hash_of "$BIN_DIR/kite")$(hash_of "$ENV_FILE")$(hash_of "$SERVICE_FILE")$(hash_of "/etc/init.d/$SERVICE_NAME")$CMD_ARGS"
  if [ "${INSTALL_KITE_SKIP_START:-}" = true ]; then
    info "not starting (INSTALL_KITE_SKIP_START=true)"
    return
  fi
  changed=true
  [ "$before" = "$after" ] && changed=false
  [ "${INSTALL_KITE_FORCE_RESTART:-}" = true ] && changed=true
  case "$INIT" in
    systemd)
      $SUDO systemctl daemon-reload
      $SUDO systemctl enable "$SERVICE_NAME" >/dev/null 2>&1
      if [ "$changed" = false ] && systemctl is-active --quiet "$SERVICE_NAME"; then
        info "no change detected, $SERVICE_NAME keeps running"
      else
        info "starting $SERVICE_NAME (systemd)"
        $SUDO systemctl restart "$SERVICE_NAME"
      fi
      ;;
    openrc)
      $SUDO rc-update add "$SERVICE_NAME" default >/dev/null 2>&1 || true
      info "starting $SERVICE_NAME (openrc)"
      if [ "$changed" = true ]; then $SUDO rc-service "$SERVICE_NAME" restart; else $SUDO rc-service "$SERVICE_NAME" start || true; fi
      ;;
    none)
      pidfile="$DATA_DIR/$SERVICE_NAME.pid"
      logfile="$DATA_DIR/$SERVICE_NAME.log"
      $SUDO mkdir -p "$DATA_DIR"
      if [ -f "$pidfile" ] && kill -0 "$(cat "$pidfile")" 2>/dev/null; then
        if [ "$changed" = false ]; then
          info "no change detected, $SERVICE_NAME keeps running (pid $(cat "$pidfile"))"
          return
        fi
        info "restarting $SERVICE_NAME"
        kill "$(cat "$pidfile")" 2>/dev/null || true
        i=0
        while kill -0 "$(cat "$pidfile")" 2>/dev/null && [ $i -lt 30 ]; do
          sleep 0.5
          i=$((i + 1))
        done
      fi
      info "no init system found: starting $SERVICE_NAME in the background, log in $logfile"
      # shellcheck disable=SC2086
      (
        set -a
        # shellcheck disable=SC1090
        . "$ENV_FILE"
        set +a
        exec nohup "$BIN_DIR/kite" "$CMD_KITE" $CMD_ARGS >>"$logfile" 2>&1
      ) &
      echo $! | $SUDO tee "$pidfile" >/dev/null
      ;;
  esac
}

wait_ready() {
  [ "$CMD_KITE" = server ] || return 0
  [ "${INSTALL_KITE_SKIP_START:-}" = true ] && return 0
  kubeconfig=${KITE_KUBECONFIG_OUTPUT:-$CONFIG_DIR/kite.yaml}
  i=0
  while [ $i -lt 120 ]; do
    if [ -f "$kubeconfig" ] && "$BIN_DIR/kite" --version >/dev/null 2>&1; then
      port=${KITE_HTTPS_LISTEN_PORT:-6443}
      if command -v curl >/dev/null 2>&1; then
        if curl -skf "https://127.0.0.1:$port/readyz" >/dev/null 2>&1; then break; fi
      else
        break
      fi
    fi
    sleep 0.5
    i=$((i + 1))
  done
  if [ $i -ge 120 ]; then
    warn "kite did not become ready within 60 s; see the log (journalctl -u $SERVICE_NAME, /var/log/$SERVICE_NAME.log or $DATA_DIR/$SERVICE_NAME.log)"
    return 0
  fi
  info "kite server is ready. Admin kubeconfig: $kubeconfig"
  info "try: $BIN_DIR/kite kubectl get nodes      (or: export KUBECONFIG=$kubeconfig; kubectl get nodes)"
  info "join token for more nodes: $BIN_DIR/kite token -d $DATA_DIR"
}

main() {
  setup_env "$@"
  setup_arch
  detect_init
  before="$(hash_of "${INSTALL_KITE_BIN_DIR:-/usr/local/bin}/kite")$(hash_of "$ENV_FILE")$(hash_of "$SERVICE_FILE")$(hash_of "/etc/init.d/$SERVICE_NAME")$CMD_ARGS"
  obtain_binary
  install_binary
  ensure_runtime
  write_env_file
  write_uninstall
  case "$INIT" in
    systemd) write_systemd_unit ;;
    openrc) write_openrc_service ;;
  esac
  start_service "$before"
  wait_ready
}

main "$@"
