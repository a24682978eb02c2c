#!/usr/bin/env bash
# ApplicationStart: run the app as the systemd service "calculator" on
# port 8080, restarted if it crashes and started again at boot.
set -euo pipefail
source "$(dirname "$0")/common.sh"

node=$(node_binary) || { echo "Node.js 20 is not installed: did install.sh run?" >&2; exit 1; }
id -u "$APP_USER" >/dev/null 2>&1 || { echo "user $APP_USER is missing: did install.sh run?" >&2; exit 1; }

log "writing $UNIT_FILE (node: $node, port $APP_PORT)"
cat > "$UNIT_FILE" <<UNIT
[Unit]
Description=Simple Calculator Service
After=network-online.target
Wants=network-online.target

[Service]
Type=simple
User=$APP_USER
Group=$APP_USER
WorkingDirectory=$APP_DIR
Environment=NODE_ENV=production
Environment=PORT=$APP_PORT
ExecStart=$node $APP_DIR/service.js
Restart=on-failure
RestartSec=2
TimeoutStopSec=10
# The app only reads its own files and serves HTTP.
NoNewPrivileges=true
ProtectSystem=strict
ProtectHome=true
PrivateTmp=true
PrivateDevices=true

[Install]
WantedBy=multi-user.target
UNIT

systemctl daemon-reload
systemctl enable "$APP_NAME.service"
systemctl restart "$APP_NAME.service"
log "started: $(systemctl is-active "$APP_NAME.service")"
