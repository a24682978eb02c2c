'use strict';

// The service over real HTTP: the app is started on an ephemeral port.

const test = require('node:test');
const assert = require('node:assert/strict');

const { createApp } = require('../lib/app');

let server;
let base;

test.before(async () => {
  server = createApp().listen(0, '127.0.0.1');
  await new Promise((resolve, reject) => {
    server.once('listening', resolve);
    server.once('error', reject);
  });
  base = `http://127.0.0.1:${server.address().port}`;
});

test.after(() => new Promise((resolve) => {
  server.closeAllConnections();
  server.close(resolve);
}));

async function get(path) {
  const response = await fetch(`${base}${path}`);
  return { status: response.status, type: response.headers.get('content-type'), headers: response.headers, body: await response.text() };
}

test('GET / serves the page with its heading', async () => {
  const { status, type, body } = await get('/');
  assert.equal(status, 200);
  assert.match(type, /^text\/html/);
  assert.match(body, /<h1>Simple Calculator Service<\/h1>/);
  assert.match(body, /<script src="app.js" defer><\/script>/);
});

test('the page has no external resources', async () => {
  const { body } = await get('/');
  assert.doesNotMatch(body, /(src|href)="(https?:)?\/\//);
});

test('the browser script and style are served', async () => {
  const script = await get('/app.js');
  assert.equal(script.status, 200);
  assert.match(script.type, /javascript/);
  const style = await get('/style.css');
  assert.equal(style.status, 200);
  assert.match(style.type, /^text\/css/);
});

test('GET /health answers ok', async () => {
  const { status, body } = await get('/health');
  assert.equal(status, 200);
  assert.equal(body.trim(), 'ok');
});

test('each operation answers in plain text', async (t) => {
  const cases = [
    ['/add?a=2&b=3', '5'],
    ['/subtract?a=2&b=3', '-1'],
    ['/multiply?a=6&b=7', '42'],
    ['/divide?a=1&b=8', '0.125'],
    ['/exponent?a=2&b=10', '1024'],
    ['/add?a=0.1&b=0.2', '0.3'],
    ['/add?a=1%2C000&b=%2B5', '1005'],
    ['/add?a=+5&b=1', '6'], // an unencoded "+" arrives as a space
    ['/multiply?a=%20-1.5e3%20&b=2', '-3000'],
    ['/divide?a=1&b=3', '0.333333333333333'],
  ];
  for (const [path, expected] of cases) {
    await t.test(path, async () => {
      const { status, type, body } = await get(path);
      assert.equal(status, 200, body);
      assert.match(type, /^text\/plain/);
      assert.equal(body.trim(), expected);
    });
  }
});

test('bad operands are a 400 naming the operand', async (t) => {
  const cases = [
    ['/add?a=2', "operand 'b' is missing"],
    ['/add?b=2', "operand 'a' is missing"],
    ['/add?a=&b=2', "operand 'a' is missing"],
    ['/add?a=abc&b=2', 'operand \'a\' is not a number: "abc"'],
    ['/subtract?a=1&b=1%2C2', 'operand \'b\' is not a number: "1,2"'],
    ['/add?a=1&a=2&b=3', "operand 'a' is given more than once"],
  ];
  for (const [path, message] of cases) {
    await t.test(path, async () => {
      const { status, type, body } = await get(path);
      assert.equal(status, 400);
      assert.match(type, /^text\/plain/);
      assert.equal(body.trim(), message);
    });
  }
});

test('division by zero is a 400', async () => {
  const { status, body } = await get('/divide?a=1&b=0');
  assert.equal(status, 400);
  assert.equal(body.trim(), 'division by zero is undefined');
});

test('a result too large to represent is a 400', async () => {
  const { status, body } = await get('/exponent?a=10&b=400');
  assert.equal(status, 400);
  assert.equal(body.trim(), 'the result of exponent is too large to represent');
});

test('unknown paths are a plain-text 404', async () => {
  const { status, type, body } = await get('/modulo?a=1&b=2');
  assert.equal(status, 404);
  assert.match(type, /^text\/plain/);
  assert.match(body, /not found: \/modulo/);
});

test('responses carry the security headers and no X-Powered-By', async () => {
  const { headers } = await get('/');
  assert.equal(headers.get('x-powered-by'), null);
  assert.equal(headers.get('x-content-type-options'), 'nosniff');
  assert.match(headers.get('content-security-policy'), /default-src 'self'/);
});
