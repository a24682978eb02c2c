'use strict';

// Entry point: `node service.js` serves the calculator on port 8080, or on
// the port in the PORT environment variable.

const { createApp } = require('./lib/app');
const { resolvePort } = require('./lib/port');

let port;
try {
  port = resolvePort();
} catch (error) {
  console.error(error.message);
  process.exit(2);
}

const server = createApp().listen(port, () => {
  console.log(`Simple Calculator Service listening on port ${server.address().port}`);
});

server.on('error', (error) => {
  console.error(`cannot listen on port ${port}: ${error.message}`);
  process.exit(1);
});

// systemd stops the service with SIGTERM: finish open requests, then exit.
for (const signal of ['SIGTERM', 'SIGINT']) {
  process.on(signal, () => {
    console.log(`${signal} received, shutting down`);
    server.close(() => process.exit(0));
    server.closeIdleConnections();
    setTimeout(() => process.exit(0), 5000).unref();
  });
}
