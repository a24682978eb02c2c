# shellcheck shell=bash disable=SC2034
# Shared by the deploy scripts (sourced, not run). APP_DIR may be overridden
# for a trial run outside CodeDeploy; appspec.yml copies the bundle to the
# default.

APP_NAME=calculator
APP_DIR=${APP_DIR:-/opt/calculator}
APP_USER=calculator
APP_PORT=8080
UNIT_FILE=/etc/systemd/system/${APP_NAME}.service

log() {
  echo "[${APP_NAME} ${LIFECYCLE_EVENT:-manual}] $*"
}

# The Node.js 20+ binary to run the app with: Amazon Linux 2023 installs
# Node 20 as node-20 (and node is an alternatives link that may point to
# another version); elsewhere, any node of version 20 or later.
node_binary() {
  local candidate major
  for candidate in /usr/bin/node-20 "$(command -v node 2>/dev/null || true)"; do
    [[ -n "$candidate" && -x "$candidate" ]] || continue
    major=$("$candidate" -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0)
    if (( major >= 20 )); then
      echo "$candidate"
      return 0
    fi
  done
  return 1
}

# The npm that belongs to node_binary.
npm_binary() {
  local node
  node=$(node_binary) || return 1
  if [[ "$node" == /usr/bin/node-20 && -x /usr/bin/npm-20 ]]; then
    echo /usr/bin/npm-20
  elif [[ -x "$(dirname "$node")/npm" ]]; then
    echo "$(dirname "$node")/npm"
  else
    command -v npm
  fi
}
