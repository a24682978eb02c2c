#!/usr/bin/env bash
# BeforeInstall: make sure Node.js 20 is installed and remove the previous
# copy of the app. AfterInstall: install the app's production dependencies.
# Run by hand (no LIFECYCLE_EVENT), it does both.
set -euo pipefail
source "$(dirname "$0")/common.sh"

ensure_node() {
  if node_binary >/dev/null; then
    log "Node.js present: $(node_binary) $("$(node_binary)" --version)"
    return
  fi
  if command -v dnf >/dev/null; then
    log "installing Node.js 20 (dnf: nodejs20, nodejs20-npm)"
    dnf install -y nodejs20 nodejs20-npm
  else
    echo "Node.js 20 or later is not installed and this is not Amazon Linux 2023 (no dnf)" >&2
    exit 1
  fi
  node_binary >/dev/null || { echo "Node.js 20 is still missing after dnf install" >&2; exit 1; }
  log "installed $(node_binary) $("$(node_binary)" --version)"
}

ensure_user() {
  if ! id -u "$APP_USER" >/dev/null 2>&1; then
    log "creating system user $APP_USER"
    useradd --system --no-create-home --home-dir "$APP_DIR" --shell /sbin/nologin "$APP_USER"
  fi
}

before_install() {
  ensure_node
  ensure_user
  # node_modules was made by npm, not by CodeDeploy, so CodeDeploy would not
  # clean it up: start each revision from an empty directory.
  if [[ -d "$APP_DIR" ]]; then
    log "removing the previous copy in $APP_DIR"
    rm -rf "$APP_DIR"
  fi
}

after_install() {
  local npm
  ensure_node
  npm=$(npm_binary)
  [[ -f "$APP_DIR/package-lock.json" ]] || { echo "$APP_DIR/package-lock.json is missing: was the bundle copied?" >&2; exit 1; }
  log "npm ci --omit=dev in $APP_DIR"
  cd "$APP_DIR"
  # npm needs a writable HOME for its cache, which root's is.
  HOME=/root "$npm" ci --omit=dev --no-audit --no-fund
  chown -R root:root "$APP_DIR"
  chmod -R u=rwX,go=rX "$APP_DIR"
}

case "${LIFECYCLE_EVENT:-}" in
  BeforeInstall) before_install ;;
  AfterInstall) after_install ;;
  "")
    ensure_node
    ensure_user
    if [[ -f "$APP_DIR/package-lock.json" ]]; then after_install; fi
    ;;
  *) echo "install.sh does not handle the $LIFECYCLE_EVENT hook" >&2; exit 1 ;;
esac
