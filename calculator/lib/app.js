'use strict';

// The Express application: the static page plus one plain-text endpoint per
// operation. It does not listen on a port itself (see service.js), so tests
// can start it on an ephemeral port.

const path = require('node:path');
const express = require('express');

const { CalculatorError, OPERATION_NAMES, evaluate } = require('./calc');

const PUBLIC_DIR = path.join(__dirname, '..', 'public');

function sendText(res, status, text) {
  res.status(status).type('text/plain').send(`${text}\n`);
}

function createApp() {
  const app = express();
  app.disable('x-powered-by');

  // The page loads its script and style from this origin only.
  app.use((req, res, next) => {
    res.set({
      'Content-Security-Policy': "default-src 'self'; frame-ancestors 'none'",
      'X-Content-Type-Options': 'nosniff',
      'Referrer-Policy': 'no-referrer',
    });
    next();
  });

  app.get('/health', (req, res) => sendText(res, 200, 'ok'));

  for (const operation of OPERATION_NAMES) {
    app.get(`/${operation}`, (req, res) => {
      try {
        res.set('Cache-Control', 'no-store');
        sendText(res, 200, evaluate(operation, req.query.a, req.query.b));
      } catch (error) {
        if (error instanceof CalculatorError) {
          sendText(res, 400, error.message);
        } else {
          throw error;
        }
      }
    });
  }

  app.use(express.static(PUBLIC_DIR, { index: 'index.html' }));

  app.use((req, res) => {
    sendText(
      res,
      404,
      `not found: ${req.path}; try /${OPERATION_NAMES.join(', /')} with ?a=..&b=..`,
    );
  });

  // Express recognises an error handler by its four parameters.
  // eslint-disable-next-line no-unused-vars
  app.use((error, req, res, next) => {
    console.error(error);
    sendText(res, 500, 'internal error');
  });

  return app;
}

module.exports = { createApp };
