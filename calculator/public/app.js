'use strict';

// Sends the two numbers to the service and shows its plain-text answer.
document.addEventListener('DOMContentLoaded', () => {
  const form = document.getElementById('calculator');
  const result = document.getElementById('result');

  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const operation = event.submitter ? event.submitter.value : 'add';
    const query = new URLSearchParams({ a: form.a.value, b: form.b.value });
    result.className = 'pending';
    result.textContent = '…';
    try {
      const response = await fetch(`${operation}?${query}`);
      const text = (await response.text()).trim();
      result.className = response.ok ? 'ok' : 'error';
      result.textContent = response.ok ? `= ${text}` : text;
    } catch (error) {
      result.className = 'error';
      result.textContent = `The service did not answer: ${error.message}`;
    }
  });
});
