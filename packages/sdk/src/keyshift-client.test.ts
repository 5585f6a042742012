import assert from "node:assert/strict";
import { after, before, beforeEach, describe, test } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { CircuitOpenError, KeyshiftClient, SecretsError, type KeyshiftClientOptions } from "./index.js";
import { FakeSecretsServer } from "./testing/fake-secrets-server.js";

const credentials = { accessKeyId: "AKIDTEST", secretAccessKey: "test-secret" };
const VALUE = '{"username":"app","password":"hunter2-do-not-print"}';

describe("KeyshiftClient against a counting fake upstream", () => {
  const fake = new FakeSecretsServer();
  let endpoint = "";
  const clients: KeyshiftClient[] = [];
  const client = (o: KeyshiftClientOptions = {}) => {
    const c = new KeyshiftClient({ endpoint, region: "us-east-1", credentials, retry: { baseDelayMs: 1, maxDelayMs: 5 }, ...o });
    clients.push(c);
    return c;
  };

  before(async () => {
    endpoint = await fake.start();
  });
  after(async () => {
    await Promise.all(clients.map((c) => c.close()));
    await fake.close();
  });
  beforeEach(() => {
    fake.secrets.clear();
    fake.put("db", VALUE);
    fake.gets = 0;
    fake.failWith = undefined;
    fake.delayMs = 0;
  });

  test("a value is served from the cache within the TTL; refresh goes upstream", async () => {
    const c = client();
    const v = await c.getSecretValue("db");
    assert.equal(v.SecretString, VALUE);
    assert.equal(v.VersionId, "v1");
    assert.deepEqual(v.VersionStages, ["AWSCURRENT"]);
    assert.equal(v.ARN, fake.arn("db"));
    assert.equal(v.CreatedDate?.getTime(), 1795390923500);
    assert.equal(await c.getSecretString("db"), VALUE);
    assert.deepEqual(await c.getSecretJson("db"), JSON.parse(VALUE));
    assert.equal(fake.gets, 1);
    fake.put("db", "second");
    assert.equal(await c.getSecretString("db"), VALUE, "still cached");
    assert.equal(await c.getSecretString("db", { refresh: true }), "second");
    assert.equal(await c.getSecretString("db"), "second", "the refresh updated the cache");
    assert.equal(fake.gets, 2);
    assert.ok(Object.isFrozen(v), "cached values are shared, so frozen");
  });

  test("N concurrent misses make exactly one upstream request (also with refresh)", async () => {
    const c = client();
    fake.delayMs = 50;
    const values = await Promise.all(Array.from({ length: 25 }, () => c.getSecretValue("db")));
    assert.equal(fake.gets, 1);
    assert.ok(values.every((v) => v === values[0]));
    await Promise.all(Array.from({ length: 10 }, () => c.getSecretValue("db", { refresh: true })));
    assert.equal(fake.gets, 2);
  });

  test("the cache key is (secret id, version id, version stage)", async () => {
    fake.put("db", "second");
    const c = client();
    assert.equal(await c.getSecretString("db"), "second");
    assert.equal(await c.getSecretString("db", { versionStage: "AWSCURRENT" }), "second", "no stage means AWSCURRENT");
    assert.equal(await c.getSecretString("db", { versionStage: "AWSPREVIOUS" }), VALUE);
    assert.equal(await c.getSecretString("db", { versionId: "v1" }), VALUE);
    assert.equal(await c.getSecretString("db", { versionId: "v1" }), VALUE);
    assert.equal(fake.gets, 3);
  });

  test("ttlSeconds 0: every call goes upstream", async () => {
    const c = client({ ttlSeconds: 0 });
    await c.getSecretValue("db");
    await c.getSecretValue("db");
    assert.equal(fake.gets, 2);
  });

  test("invalidate(secretId) and invalidate() make the next read go upstream", async () => {
    const c = client();
    await c.getSecretValue("db");
    c.invalidate("db");
    await c.getSecretValue("db");
    c.invalidate();
    await c.getSecretValue("db");
    c.invalidate("other");
    await c.getSecretValue("db");
    assert.equal(fake.gets, 3);
  });

  test("a read in flight during an invalidation neither answers later callers nor leaves its older value cached", async () => {
    const c = client();
    fake.delayMs = 300;
    const first = c.getSecretValue("db");
    while (fake.gets === 0) await sleep(5); // it reached the server
    fake.delayMs = 0;
    fake.put("db", "second");
    c.invalidate("db");
    const second = c.getSecretValue("db");
    assert.equal((await second).SecretString, "second");
    assert.equal((await first).SecretString, VALUE, "the first read answered with what it found");
    assert.equal(await c.getSecretString("db"), "second");
    assert.equal(fake.gets, 2);
  });

  test("throttling, 429, 5xx and dropped connections are retried; then it succeeds", async () => {
    const c = client({ retry: { maxAttempts: 5, baseDelayMs: 1, maxDelayMs: 2 } });
    const plan = [{ status: 400, type: "ThrottlingException" }, { status: 429, type: "TooManyRequestsException" }, { status: 503, type: "ServiceUnavailable" }, { status: 0, drop: true }];
    fake.failWith = (n) => plan[n - 1];
    assert.equal(await c.getSecretString("db"), VALUE);
    assert.equal(fake.gets, 5);
  });

  test("ResourceNotFound and AccessDenied are not retried and keep their AWS code", async () => {
    const c = client({ retry: { maxAttempts: 5, baseDelayMs: 1 } });
    await assert.rejects(c.getSecretValue("missing"), (e: unknown) => e instanceof SecretsError && e.code === "ResourceNotFoundException" && e.status === 400 && !e.retryable);
    assert.equal(fake.gets, 1);
    fake.failWith = () => ({ status: 400, type: "AccessDeniedException" });
    await assert.rejects(c.getSecretValue("db"), (e: unknown) => e instanceof SecretsError && e.code === "AccessDeniedException");
    assert.equal(fake.gets, 2);
  });

  test("retries stop after maxAttempts with the upstream's error", async () => {
    const c = client({ retry: { maxAttempts: 3, baseDelayMs: 1 }, circuitBreaker: { failureThreshold: 100 } });
    fake.failWith = () => ({ status: 500, type: "InternalServiceError" });
    await assert.rejects(c.getSecretValue("db"), (e: unknown) => e instanceof SecretsError && e.code === "InternalServiceError" && e.retryable && e.status === 500);
    assert.equal(fake.gets, 3);
  });

  test("stale-if-error: the last good value is served after expiry while the upstream fails, then the error", async () => {
    const c = client({ ttlSeconds: 0.05, staleIfErrorSeconds: 0.3, retry: { maxAttempts: 1 }, circuitBreaker: { failureThreshold: 100 } });
    await c.getSecretValue("db");
    await sleep(80);
    fake.failWith = () => ({ status: 503, type: "ServiceUnavailable" });
    const stale = await c.getSecretValue("db");
    assert.equal(stale.SecretString, VALUE);
    assert.equal(stale.stale, true);
    await sleep(350);
    await assert.rejects(c.getSecretValue("db"), (e: unknown) => e instanceof SecretsError && e.code === "ServiceUnavailable");
    fake.failWith = undefined;
    const fresh = await c.getSecretValue("db");
    assert.equal(fresh.stale, undefined);
  });

  test("stale-if-error never covers a client error (the secret was deleted, access was revoked)", async () => {
    const c = client({ ttlSeconds: 0, staleIfErrorSeconds: 3600 });
    await c.getSecretValue("db");
    fake.failWith = () => ({ status: 400, type: "AccessDeniedException" });
    await assert.rejects(c.getSecretValue("db"), (e: unknown) => e instanceof SecretsError && e.code === "AccessDeniedException");
  });

  test("circuit breaker: opens after N failures, fails fast, lets one probe through after resetAfterMs", async () => {
    const c = client({ ttlSeconds: 0, staleIfErrorSeconds: 0, retry: { maxAttempts: 1 }, circuitBreaker: { failureThreshold: 3, resetAfterMs: 200 } });
    fake.failWith = () => ({ status: 500 });
    for (let i = 0; i < 3; i++) await assert.rejects(c.getSecretValue("db"), (e: unknown) => e instanceof SecretsError && e.code === "InternalServiceError");
    assert.equal(fake.gets, 3);
    assert.equal(c.circuitState, "open");
    await assert.rejects(c.getSecretValue("db"), (e: unknown) => e instanceof CircuitOpenError && e.code === "CircuitOpen" && e.retryable);
    assert.equal(fake.gets, 3, "no request while open");
    await sleep(250);
    assert.equal(c.circuitState, "half-open");
    await assert.rejects(c.getSecretValue("db"), (e: unknown) => e instanceof SecretsError && e.code === "InternalServiceError");
    assert.equal(fake.gets, 4, "one probe");
    assert.equal(c.circuitState, "open", "a failed probe opens it again");
    await sleep(250);
    fake.failWith = undefined;
    assert.equal(await c.getSecretString("db"), VALUE);
    assert.equal(c.circuitState, "closed");
  });

  test("an open circuit still serves stale values", async () => {
    const c = client({ ttlSeconds: 0, retry: { maxAttempts: 1 }, circuitBreaker: { failureThreshold: 1, resetAfterMs: 60_000 } });
    await c.getSecretValue("db");
    fake.failWith = () => ({ status: 500 });
    assert.equal((await c.getSecretValue("db")).stale, true);
    assert.equal((await c.getSecretValue("db")).stale, true);
    assert.equal(fake.gets, 2);
  });

  test("errors never carry the secret value", async () => {
    fake.put("db", "not json: hunter2-do-not-print");
    const c = client();
    await assert.rejects(c.getSecretJson("db"), (e: unknown) => e instanceof SecretsError && e.code === "SecretNotJson" && !e.message.includes("hunter2") && !String(e.stack).includes("hunter2"));
  });

  test("requests are SigV4-signed for secretsmanager in the configured region, with a user agent", async () => {
    const c = client({ region: "eu-west-3", userAgent: "my-app/1.0" });
    await c.getSecretValue("db");
    const h = fake.seenHeaders.at(-1)!;
    assert.match(String(h.authorization), /^AWS4-HMAC-SHA256 Credential=AKIDTEST\/\d{8}\/eu-west-3\/secretsmanager\/aws4_request, SignedHeaders=[a-z0-9;-]+, Signature=[0-9a-f]{64}$/);
    assert.equal(h["user-agent"], "my-app/1.0");
  });

  test("without a change feed (404), watch falls back to polling and reports the new version", async () => {
    const c = client({ ttlSeconds: 0.1 });
    const seen: string[] = [];
    const w = c.watch("db", (v) => seen.push(v.VersionId));
    await w.ready;
    assert.equal(c.changeFeedConnected, false);
    assert.ok(fake.log.includes("GET /v1/changes"), "the feed was tried");
    fake.put("db", "second");
    for (let i = 0; i < 50 && seen.length === 0; i++) await sleep(100);
    w.close();
    assert.deepEqual(seen, ["v2"]);
  });

  test("close() stops the client", async () => {
    const c = client();
    await c.getSecretValue("db");
    await c.close();
    await assert.rejects(c.getSecretValue("db"), (e: unknown) => e instanceof SecretsError && e.code === "ClientClosed");
  });
});
