// tests/e2e/openai_sdk.test.mjs — the official `openai` npm package, unchanged, against the gateway's /v1 API
// Env: LF_V1_BASE_URL (e.g. http://127.0.0.1:8000/v1), LF_API_KEY, LF_V1_MODELS (comma-separated model ids to try,
//      default "auto"), LF_V1_ECHO=1 when the upstreams are the test fakes (their reply quotes the user message).
// Run by tests/integration/test_openai_sdk.py against a real server and fake upstreams.
// SPDX-License-Identifier: MIT
import assert from 'node:assert/strict';
import { test } from 'node:test';
import OpenAI from 'openai';

const baseURL = process.env.LF_V1_BASE_URL;
const apiKey = process.env.LF_API_KEY;
const models = (process.env.LF_V1_MODELS || 'auto').split(',').filter(Boolean);
const echo = process.env.LF_V1_ECHO === '1';
const question = 'Name three colours of the rainbow, please, in one short sentence.';

assert.ok(baseURL, 'LF_V1_BASE_URL is required');
assert.ok(apiKey, 'LF_API_KEY is required');

const client = new OpenAI({ baseURL, apiKey, maxRetries: 0, timeout: 30000 });

test('models.list() returns the routable models', async () => {
  const ids = [];
  for await (const m of client.models.list()) {
    assert.equal(m.object, 'model');
    assert.equal(typeof m.created, 'number');
    assert.equal(typeof m.owned_by, 'string');
    ids.push(m.id);
  }
  assert.ok(ids.includes('auto'), `auto missing from ${ids}`);
  for (const m of models) assert.ok(ids.includes(m), `${m} missing from ${ids}`);
});

for (const model of models) {
  test(`chat.completions.create (${model})`, async () => {
    const { data, response } = await client.chat.completions
      .create({
        model,
        messages: [
          { role: 'system', content: 'You answer briefly.' },
          { role: 'user', content: question },
        ],
        max_tokens: 100,
        temperature: 0.2,
      })
      .withResponse();
    assert.equal(data.object, 'chat.completion');
    assert.match(data.id, /^chatcmpl-/);
    assert.equal(data.choices.length, 1);
    assert.equal(data.choices[0].message.role, 'assistant');
    assert.equal(typeof data.choices[0].message.content, 'string');
    assert.ok(data.choices[0].message.content.length > 0);
    if (echo) assert.ok(data.choices[0].message.content.includes(question.slice(0, 30)));
    assert.equal(data.choices[0].finish_reason, 'stop');
    assert.ok(data.usage.prompt_tokens > 0);
    assert.ok(data.usage.completion_tokens > 0);
    assert.equal(data.usage.total_tokens, data.usage.prompt_tokens + data.usage.completion_tokens);
    assert.ok(response.headers.get('x-lf-provider'));
    assert.ok(Number(response.headers.get('x-lf-cost-usd')) >= 0);
    assert.equal(response.headers.get('x-lf-attempts'), '1');
  });

  test(`chat.completions.create stream: true (${model})`, async () => {
    const stream = await client.chat.completions.create({
      model,
      messages: [{ role: 'user', content: question }],
      stream: true,
      stream_options: { include_usage: true },
    });
    let text = '';
    let chunks = 0;
    let role = null;
    let finish = null;
    let usage = null;
    for await (const chunk of stream) {
      assert.equal(chunk.object, 'chat.completion.chunk');
      assert.match(chunk.id, /^chatcmpl-/);
      if (chunk.usage) usage = chunk.usage;
      for (const c of chunk.choices) {
        if (c.delta.role) role = c.delta.role;
        if (c.delta.content) {
          text += c.delta.content;
          chunks++;
        }
        if (c.finish_reason) finish = c.finish_reason;
      }
    }
    assert.equal(role, 'assistant');
    assert.ok(chunks > 1, `expected several content chunks, got ${chunks}`);
    assert.ok(text.length > 0);
    if (echo) assert.ok(text.includes(question.slice(0, 30)), text);
    assert.equal(finish, 'stop');
    assert.ok(usage && usage.prompt_tokens > 0 && usage.completion_tokens > 0, JSON.stringify(usage));
    assert.equal(usage.total_tokens, usage.prompt_tokens + usage.completion_tokens);
  });
}

test('a stream without include_usage ends cleanly and the SDK sees no usage', async () => {
  const stream = await client.chat.completions.create({
    model: models[0],
    messages: [{ role: 'user', content: question }],
    stream: true,
  });
  let text = '';
  let usage = null;
  for await (const chunk of stream) {
    if (chunk.usage) usage = chunk.usage;
    for (const c of chunk.choices) text += c.delta.content || '';
  }
  assert.ok(text.length > 0);
  assert.equal(usage, null);
});

test('invalid requests surface as the SDK\'s BadRequestError', async () => {
  await assert.rejects(
    client.chat.completions.create({ model: models[0], messages: [], temperature: 5 }),
    (err) => {
      assert.ok(err instanceof OpenAI.BadRequestError, String(err));
      assert.equal(err.status, 400);
      return true;
    },
  );
  await assert.rejects(
    client.chat.completions.create({ model: 'no-such-model-xyz', messages: [{ role: 'user', content: 'hi' }] }),
    (err) => err instanceof OpenAI.BadRequestError,
  );
});

test('a wrong key is the SDK\'s AuthenticationError', async () => {
  const bad = new OpenAI({ baseURL, apiKey: 'wrong-key-0123456789', maxRetries: 0 });
  await assert.rejects(bad.models.list(), (err) => err instanceof OpenAI.AuthenticationError);
});
