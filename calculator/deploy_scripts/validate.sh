#!/usr/bin/env bash
# ValidateService: the deployment succeeds only if the app answers on port
# 8080 with its page (HTTP 200 containing "Simple Calculator Service") and
# does a sum, within TIMEOUT seconds (default 60).
set -euo pipefail
source "$(dirname "$0")/common.sh"

TIMEOUT=${TIMEOUT:-60}
BASE_URL=${BASE_URL:-http://localhost:$APP_PORT}
EXPECTED="Simple Calculator Service"

deadline=$((SECONDS + TIMEOUT))
last="no answer yet"
while :; do
  status=0
  page=$(curl --silent --max-time 5 --write-out '\n%{http_code}' "$BASE_URL/") || status=$?
  if (( status == 0 )); then
    code=${page##*$'\n'}
    body=${page%$'\n'*}
    if [[ "$code" == 200 && "$body" == *"$EXPECTED"* ]]; then
      sum=$(curl --silent --max-time 5 "$BASE_URL/add?a=2&b=3" || true)
      if [[ "$(echo "$sum" | tr -d '[:space:]')" == 5 ]]; then
        log "OK: $BASE_URL/ serves \"$EXPECTED\" and /add?a=2&b=3 = 5"
        exit 0
      fi
      last="the page is up but /add?a=2&b=3 answered \"$sum\""
    else
      last="HTTP $code without \"$EXPECTED\""
    fi
  else
    last="curl exit status $status (connection refused or timed out)"
  fi
  if (( SECONDS >= deadline )); then
    break
  fi
  sleep 2
done

echo "ValidateService failed: $BASE_URL/ did not serve \"$EXPECTED\" within ${TIMEOUT}s (last: $last)" >&2
if command -v systemctl >/dev/null; then
  systemctl status "$APP_NAME.service" --no-pager >&2 || true
  journalctl -u "$APP_NAME.service" -n 30 --no-pager >&2 || true
fi
exit 1
