'use strict';

const test = require('node:test');
const assert = require('node:assert/strict');

const {
  CalculatorError,
  OPERATION_NAMES,
  calculate,
  evaluate,
  formatResult,
  parseOperand,
} = require('../lib/calc');

test('operations are the five the service offers', () => {
  assert.deepEqual(OPERATION_NAMES, ['add', 'subtract', 'multiply', 'divide', 'exponent']);
});

test('parseOperand reads the ways people write numbers', async (t) => {
  const cases = [
    ['2', 2],
    ['  42\t', 42],
    ['+7', 7],
    ['-3', -3],
    ['\u22123', -3], // Unicode minus sign
    ['1,000', 1000],
    ['-12,345,678.25', -12345678.25],
    ['3.14', 3.14],
    ['.5', 0.5],
    ['5.', 5],
    ['1e3', 1000],
    ['2.5E-4', 0.00025],
    ['-1.5e+2', -150],
    ['0', 0],
    ['007', 7],
  ];
  for (const [text, expected] of cases) {
    await t.test(JSON.stringify(text), () => {
      assert.equal(parseOperand('a', text), expected);
    });
  }
});

test('parseOperand rejects what is not a number, naming the operand', async (t) => {
  const cases = ['abc', '1,2', '12,34,567', '1 000', '0x10', 'Infinity', 'NaN', '1e', 'e5', '--1', '+-1', '1.2.3', '.', '1,000.5,5'];
  for (const text of cases) {
    await t.test(JSON.stringify(text), () => {
      assert.throws(
        () => parseOperand('b', text),
        (error) =>
          error instanceof CalculatorError &&
          error.message === `operand 'b' is not a number: ${JSON.stringify(text)}`,
      );
    });
  }
});

test('parseOperand reports missing operands', () => {
  for (const missing of [undefined, null, '', '   ']) {
    assert.throws(() => parseOperand('a', missing), { message: "operand 'a' is missing" });
  }
});

test('parseOperand reports an operand given twice', () => {
  assert.throws(() => parseOperand('a', ['1', '2']), { message: "operand 'a' is given more than once" });
});

test('parseOperand rejects a number too large for a double', () => {
  assert.throws(() => parseOperand('a', '1e400'), { message: 'operand \'a\' is too large: "1e400"' });
});

test('calculate does the arithmetic', () => {
  assert.equal(calculate('add', 2, 3), 5);
  assert.equal(calculate('subtract', 2, 3), -1);
  assert.equal(calculate('multiply', -4, 2.5), -10);
  assert.equal(calculate('divide', 7, 2), 3.5);
  assert.equal(calculate('exponent', 2, 10), 1024);
  assert.equal(calculate('exponent', 9, 0.5), 3);
  assert.equal(calculate('exponent', 2, -1), 0.5);
  assert.equal(calculate('divide', 0, 5), 0);
});

test('division by zero is an error, not Infinity', () => {
  assert.throws(() => calculate('divide', 1, 0), { message: 'division by zero is undefined' });
  assert.throws(() => calculate('divide', 0, 0), { message: 'division by zero is undefined' });
  assert.throws(() => calculate('divide', 1, -0), { message: 'division by zero is undefined' });
});

test('results that are not finite numbers are errors', () => {
  assert.throws(() => calculate('exponent', 10, 400), { message: 'the result of exponent is too large to represent' });
  assert.throws(() => calculate('multiply', 1e200, 1e200), { message: 'the result of multiply is too large to represent' });
  assert.throws(() => calculate('exponent', 0, -1), { message: 'the result of exponent is too large to represent' });
  assert.throws(() => calculate('exponent', -8, 0.5), { message: 'the result of exponent is not a real number' });
});

test('calculate rejects an unknown operation', () => {
  assert.throws(() => calculate('modulo', 1, 2), CalculatorError);
  assert.throws(() => calculate('constructor', 1, 2), CalculatorError);
});

test('formatResult leaves out floating-point noise', () => {
  assert.equal(formatResult(0.1 + 0.2), '0.3');
  assert.equal(formatResult(1.1 * 1.1), '1.21');
  assert.equal(formatResult(4.35 * 100), '435');
  assert.equal(formatResult(1 / 3), '0.333333333333333');
  assert.equal(formatResult(-0), '0');
  assert.equal(formatResult(5), '5');
  assert.equal(formatResult(-2.5), '-2.5');
  assert.equal(formatResult(1e-7), '1e-7');
});

test('formatResult prints big whole numbers exactly up to 2^53, then in exponent notation', () => {
  assert.equal(formatResult(Number.MAX_SAFE_INTEGER), '9007199254740991');
  assert.equal(formatResult(123456789 * 1000), '123456789000');
  assert.equal(formatResult(2 ** 60), '1.15292150460685e+18');
  assert.equal(formatResult(1e21), '1e+21');
});

test('evaluate parses, calculates and formats', () => {
  assert.equal(evaluate('add', '2', '3'), '5');
  assert.equal(evaluate('add', '0.1', '0.2'), '0.3');
  assert.equal(evaluate('add', ' 1,000 ', '+1'), '1001');
  assert.equal(evaluate('subtract', '-5', '-7.5'), '2.5');
  assert.equal(evaluate('multiply', '1.5e3', '2'), '3000');
  assert.equal(evaluate('divide', '1', '4'), '0.25');
  assert.equal(evaluate('exponent', '2', '0.5'), '1.4142135623731');
  assert.throws(() => evaluate('divide', '1', '0'), { message: 'division by zero is undefined' });
  assert.throws(() => evaluate('add', '1', undefined), { message: "operand 'b' is missing" });
  assert.throws(() => evaluate('add', 'x', undefined), { message: 'operand \'a\' is not a number: "x"' });
});
