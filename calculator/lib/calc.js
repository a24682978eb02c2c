'use strict';

// The calculator's arithmetic, kept free of HTTP so it can be tested alone.
//
// Operands are parsed leniently, the way people type numbers:
//   - surrounding whitespace is ignored ("  2 ");
//   - a leading "+" or "-" is accepted, and so is the Unicode minus sign "−";
//   - commas are accepted as thousands separators, but only in well-formed
//     groups of three ("1,000", "12,345.6"); "1,2" is rejected, because it
//     could just as well be a decimal comma;
//   - decimals (".5", "2.", "3.14") and exponent notation ("1e3", "2.5E-4").
// Anything else ("abc", "0x10", "Infinity", "NaN", "1 2") is not a number.
//
// Results are rounded to 15 significant digits (the most a double can carry
// through a decimal round trip), which removes binary floating-point noise:
// 0.1 + 0.2 gives "0.3", not "0.30000000000000004". Whole numbers below
// 2^53 are printed exactly; larger magnitudes, whose last digits a double
// cannot hold, are printed in exponent notation ("1.15292150460685e+18") so
// they do not look more exact than they are.
//
// Errors are reported as CalculatorError, whose message is meant for the
// person who made the request.

const SIGNIFICANT_DIGITS = 15;

// sign, then digits (optionally grouped by commas) with an optional fraction,
// or a bare fraction; then an optional exponent.
const NUMBER = /^([+-]?)((?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d*)?|\.\d+)(?:[eE]([+-]?\d+))?$/;

class CalculatorError extends Error {
  constructor(message) {
    super(message);
    this.name = 'CalculatorError';
  }
}

/**
 * Parses one operand.
 * @param {string} name  the operand's name, used in error messages ("a", "b")
 * @param {unknown} raw  the value as it came in (a query string value)
 * @returns {number}
 */
function parseOperand(name, raw) {
  if (raw === undefined || raw === null) {
    throw new CalculatorError(`operand '${name}' is missing`);
  }
  if (Array.isArray(raw)) {
    throw new CalculatorError(`operand '${name}' is given more than once`);
  }
  if (typeof raw !== 'string' && typeof raw !== 'number') {
    throw new CalculatorError(`operand '${name}' is not a number`);
  }
  const text = String(raw).trim().replace(/^\u2212/, '-');
  if (text === '') {
    throw new CalculatorError(`operand '${name}' is missing`);
  }
  const match = NUMBER.exec(text);
  if (!match) {
    throw new CalculatorError(`operand '${name}' is not a number: ${JSON.stringify(String(raw))}`);
  }
  const value = Number(text.replace(/,/g, ''));
  if (!Number.isFinite(value)) {
    throw new CalculatorError(`operand '${name}' is too large: ${JSON.stringify(String(raw))}`);
  }
  return value;
}

const OPERATIONS = {
  add: (a, b) => a + b,
  subtract: (a, b) => a - b,
  multiply: (a, b) => a * b,
  divide: (a, b) => {
    // A calculator answers a question; "Infinity" is not an answer a person
    // can use, so division by zero is an error rather than IEEE infinity.
    if (b === 0) {
      throw new CalculatorError('division by zero is undefined');
    }
    return a / b;
  },
  exponent: (a, b) => a ** b,
};

/** The names of the operations, in display order. */
const OPERATION_NAMES = Object.freeze(Object.keys(OPERATIONS));

function isOperation(name) {
  return Object.prototype.hasOwnProperty.call(OPERATIONS, name);
}

/**
 * Applies an operation to two numbers.
 * @returns {number} a finite number
 */
function calculate(operation, a, b) {
  if (!isOperation(operation)) {
    throw new CalculatorError(`unknown operation '${operation}'`);
  }
  const result = OPERATIONS[operation](a, b);
  if (Number.isNaN(result)) {
    // e.g. (-8) ** 0.5: no real result.
    throw new CalculatorError(`the result of ${operation} is not a real number`);
  }
  if (!Number.isFinite(result)) {
    throw new CalculatorError(`the result of ${operation} is too large to represent`);
  }
  return result;
}

/** Formats a finite result as text without floating-point noise. */
function formatResult(value) {
  if (!Number.isFinite(value)) {
    throw new CalculatorError('the result is not a finite number');
  }
  if (Number.isSafeInteger(value)) {
    return String(value);
  }
  const rounded = Number(value.toPrecision(SIGNIFICANT_DIGITS));
  if (Math.abs(rounded) >= 1e15) {
    return rounded.toExponential();
  }
  // String(-0) is "0": a rounded negative zero prints as plain zero.
  return String(rounded);
}

/**
 * Parses both operands, calculates and formats: the whole request in one call.
 * @returns {string}
 */
function evaluate(operation, rawA, rawB) {
  const a = parseOperand('a', rawA);
  const b = parseOperand('b', rawB);
  return formatResult(calculate(operation, a, b));
}

module.exports = {
  CalculatorError,
  OPERATION_NAMES,
  SIGNIFICANT_DIGITS,
  calculate,
  evaluate,
  formatResult,
  isOperation,
  parseOperand,
};
