#!/usr/bin/env bash
# ApplicationStop: stop the service if there is one. On a fresh instance
# there is nothing to stop, and that is not an error.
set -euo pipefail
source "$(dirname "$0")/common.sh"

if [[ -f "$UNIT_FILE" ]] && command -v systemctl >/dev/null; then
  log "stopping $APP_NAME.service"
  systemctl stop "$APP_NAME.service" || log "systemctl stop failed; carrying on"
else
  log "$APP_NAME.service is not installed; nothing to stop"
fi
