'use strict';

// The port the service listens on. The load balancer's target group, the
// instance security group and deploy_scripts/validate.sh all expect 8080:
// change it here and the deployment fails its ValidateService hook.
const DEFAULT_PORT = 8080;

/** The port from the environment's PORT (0 picks a free port), else 8080. */
function resolvePort(env = process.env) {
  const raw = env.PORT;
  if (raw === undefined || raw.trim() === '') {
    return DEFAULT_PORT;
  }
  const port = Number(raw);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new Error(`PORT must be a whole number from 0 to 65535, not ${JSON.stringify(raw)}`);
  }
  return port;
}

module.exports = { DEFAULT_PORT, resolvePort };
