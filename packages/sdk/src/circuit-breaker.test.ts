import assert from "node:assert/strict";
import { test } from "node:test";
import { CircuitBreaker } from "./circuit-breaker.js";
import { backoffDelay, withRetries } from "./retry.js";

test("circuit breaker: closed → open after the threshold → half-open admits exactly one probe", () => {
  let now = 0;
  const b = new CircuitBreaker({ failureThreshold: 2, resetAfterMs: 100 }, () => now);
  assert.ok(b.admit());
  b.failure();
  assert.equal(b.state, "closed");
  b.success();
  b.failure();
  assert.equal(b.state, "closed", "a success resets the count");
  b.failure();
  assert.equal(b.state, "open");
  assert.equal(b.admit(), false);
  now = 100;
  assert.equal(b.state, "half-open");
  assert.ok(b.admit());
  assert.equal(b.admit(), false, "one probe at a time");
  b.release();
  assert.ok(b.admit(), "a probe that learnt nothing gives its slot back");
  b.failure();
  assert.equal(b.state, "open");
  now = 250;
  assert.ok(b.admit());
  b.success();
  assert.equal(b.state, "closed");
  assert.ok(b.admit());
});

test("backoff: full jitter below min(max, base * 2^retry)", () => {
  assert.equal(backoffDelay(0, { baseDelayMs: 100, maxDelayMs: 1000 }, () => 0.999), 99);
  assert.equal(backoffDelay(3, { baseDelayMs: 100, maxDelayMs: 1000 }, () => 0.5), 400);
  assert.equal(backoffDelay(10, { baseDelayMs: 100, maxDelayMs: 1000 }, () => 0.999), 999);
  assert.equal(backoffDelay(5, { baseDelayMs: 100, maxDelayMs: 1000 }, () => 0), 0);
});

test("withRetries: retries only what isRetryable accepts, up to maxAttempts", async () => {
  const policy = { maxAttempts: 3, baseDelayMs: 1, maxDelayMs: 1, maxTotalMs: 10_000 };
  let n = 0;
  await assert.rejects(withRetries(async () => { n++; throw new Error("retry me"); }, policy, { isRetryable: () => true }), /retry me/);
  assert.equal(n, 3);
  n = 0;
  await assert.rejects(withRetries(async () => { n++; throw new Error("fatal"); }, policy, { isRetryable: () => false }), /fatal/);
  assert.equal(n, 1);
  assert.equal(await withRetries(async (k) => { if (k < 3) throw new Error("x"); return k; }, policy, { isRetryable: () => true }), 3);
});
