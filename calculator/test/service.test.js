'use strict';

// service.js as the deployment runs it, and the port it listens on.

const test = require('node:test');
const assert = require('node:assert/strict');
const path = require('node:path');
const { spawn } = require('node:child_process');

const { DEFAULT_PORT, resolvePort } = require('../lib/port');

test('the service listens on 8080 unless PORT says otherwise', () => {
  // The target group, the instance security group and validate.sh expect
  // 8080; listening anywhere else fails the deployment.
  assert.equal(DEFAULT_PORT, 8080);
  assert.equal(resolvePort({}), 8080);
  assert.equal(resolvePort({ PORT: '' }), 8080);
  assert.equal(resolvePort({ PORT: '18080' }), 18080);
  assert.equal(resolvePort({ PORT: '0' }), 0);
});

test('a malformed PORT is refused', () => {
  for (const bad of ['http', '-1', '65536', '80.5']) {
    assert.throws(() => resolvePort({ PORT: bad }), /PORT must be a whole number/);
  }
});

test('node service.js serves the page on $PORT and stops on SIGTERM', async () => {
  const child = spawn(process.execPath, [path.join(__dirname, '..', 'service.js')], {
    env: { ...process.env, PORT: '0' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  try {
    const port = await new Promise((resolve, reject) => {
      let output = '';
      const timer = setTimeout(() => reject(new Error(`no listening line in: ${output}`)), 10000);
      child.stdout.on('data', (chunk) => {
        output += chunk;
        const match = /listening on port (\d+)/.exec(output);
        if (match) {
          clearTimeout(timer);
          resolve(Number(match[1]));
        }
      });
      child.once('exit', (code) => reject(new Error(`service.js exited with ${code}: ${output}`)));
    });
    const page = await fetch(`http://127.0.0.1:${port}/`);
    assert.equal(page.status, 200);
    assert.match(await page.text(), /Simple Calculator Service/);
    const sum = await fetch(`http://127.0.0.1:${port}/add?a=2&b=3`);
    assert.equal((await sum.text()).trim(), '5');
  } finally {
    child.kill('SIGTERM');
  }
  assert.deepEqual(await exited, { code: 0, signal: null });
});

test('service.js refuses a malformed PORT', async () => {
  const child = spawn(process.execPath, [path.join(__dirname, '..', 'service.js')], {
    env: { ...process.env, PORT: 'eighty' },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (chunk) => { stderr += chunk; });
  const code = await new Promise((resolve) => child.once('exit', resolve));
  assert.equal(code, 2);
  assert.match(stderr, /PORT must be a whole number/);
});
