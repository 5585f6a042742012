/**
 * @keyshift/sdk's KeyshiftClient against a real Keyshift server (in process): reads and the
 * cache, single-flight counted at the wire, the change feed dropping changed values, watch,
 * consumer reporting, and AWS error codes passed through.
 */
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { setTimeout as sleep } from "node:timers/promises";
import { CreateSecretCommand, DescribeSecretCommand, PutSecretValueCommand, RotateSecretCommand } from "@aws-sdk/client-secrets-manager";
import { KeyshiftClient, SecretsError, type KeyshiftClientOptions, type SecretValue } from "@keyshift/sdk";
import { callApi } from "../cli/api-client.js";
import { TEST_ACCOUNT, TEST_KEY_ID, TEST_REGION, TEST_SECRET, startTestServer, type TestServer } from "../testing/harness.js";
import { smClient } from "../testing/sm-client.js";

interface ConsumersAnswer {
  Consumers: { ConsumerId: string; Name?: string; Kind: string; Holdings: { ARN: string; VersionId: string; VersionStages?: string[] }[] }[];
}

/** Polls `probe` until it returns a value or `ms` passes (then the last error or undefined). */
async function eventually<T>(ms: number, probe: () => Promise<T | undefined> | T | undefined): Promise<T | undefined> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await probe();
    if (v !== undefined || Date.now() > end) return v;
    await sleep(25);
  }
}

describe("KeyshiftClient against Keyshift", () => {
  let s: TestServer;
  const clients: KeyshiftClient[] = [];
  let gets = 0;
  const countingFetch: typeof fetch = (input, init) => {
    const h = new Headers(init?.headers);
    if (h.get("x-amz-target") === "secretsmanager.GetSecretValue") gets++;
    return fetch(input, init);
  };
  const client = (o: KeyshiftClientOptions = {}) => {
    const c = new KeyshiftClient({ endpoint: s.endpoint, region: TEST_REGION, credentials: { accessKeyId: TEST_KEY_ID, secretAccessKey: TEST_SECRET }, fetch: countingFetch, ...o });
    clients.push(c);
    return c;
  };
  const consumersOf = async (secretId: string) =>
    (await callApi({ endpointUrl: s.endpoint, region: TEST_REGION }, "GET", `/v1/consumers?SecretId=${encodeURIComponent(secretId)}`, undefined, { AWS_ACCESS_KEY_ID: TEST_KEY_ID, AWS_SECRET_ACCESS_KEY: TEST_SECRET })) as ConsumersAnswer;

  before(async () => {
    s = await startTestServer();
  });
  after(async () => {
    await Promise.all(clients.map((c) => c.close()));
    await s.close();
  });

  test("reads a secret; N concurrent misses are one GetSecretValue on the wire; then the cache answers", async () => {
    const sm = smClient(s.endpoint);
    const value = JSON.stringify({ username: "app", password: `pw-${randomUUID()}` });
    const created = await sm.send(new CreateSecretCommand({ Name: "sdk/read", SecretString: value }));
    const c = client();
    gets = 0;
    const all = await Promise.all(Array.from({ length: 20 }, () => c.getSecretValue("sdk/read")));
    assert.equal(gets, 1);
    assert.equal(all[0]!.SecretString, value);
    assert.equal(all[0]!.ARN, created.ARN);
    assert.equal(all[0]!.VersionId, created.VersionId);
    assert.deepEqual(all[0]!.VersionStages, ["AWSCURRENT"]);
    assert.ok(all[0]!.CreatedDate instanceof Date && Math.abs(all[0]!.CreatedDate.getTime() - Date.now()) < 600_000);
    assert.deepEqual(await c.getSecretJson("sdk/read"), JSON.parse(value));
    assert.equal(await c.getSecretString(created.ARN!), value, "by ARN");
    // The feed's first connection drops what was cached before it (it cannot know what changed earlier).
    assert.ok(await eventually(5000, () => c.changeFeedConnected || undefined), "the feed connects");
    await c.getSecretValue("sdk/read");
    const callsBefore = gets;
    for (let i = 0; i < 50; i++) await c.getSecretValue("sdk/read");
    assert.equal(gets, callsBefore, "served from the cache");
  });

  test("the change feed drops a changed value: a read within 1 s of PutSecretValue sees it (TTL 300 s)", async () => {
    const sm = smClient(s.endpoint);
    await sm.send(new CreateSecretCommand({ Name: "sdk/feed", SecretString: "one" }));
    const c = client();
    assert.equal(await c.getSecretString("sdk/feed"), "one");
    assert.ok(await eventually(5000, () => c.changeFeedConnected || undefined), "the feed connects");
    assert.equal(await c.getSecretString("sdk/feed"), "one");
    const put = await sm.send(new PutSecretValueCommand({ SecretId: "sdk/feed", SecretString: "two" }));
    const t0 = Date.now();
    const seen = await eventually(1000, async () => ((await c.getSecretValue("sdk/feed")).VersionId === put.VersionId ? Date.now() - t0 : undefined));
    assert.ok(seen !== undefined, "the new value was read within 1 s");
    assert.equal(await c.getSecretString("sdk/feed"), "two");
    assert.equal(await c.getSecretString("sdk/feed", { versionStage: "AWSPREVIOUS" }), "one");
  });

  test("watch sees a new version within 1 s, and a rotation's new AWSCURRENT", async () => {
    const sm = smClient(s.endpoint);
    await sm.send(new CreateSecretCommand({ Name: "sdk/watched", SecretString: "first" }));
    const c = client();
    const seen: SecretValue[] = [];
    let notified: () => void = () => {};
    const w = c.watch("sdk/watched", (v) => {
      seen.push(v);
      notified();
    });
    await w.ready;
    assert.equal(c.changeFeedConnected, true);
    assert.equal(seen.length, 0, "no call for the version current at subscription");
    const arrived = new Promise<void>((r) => (notified = r));
    const t0 = Date.now();
    const put = await sm.send(new PutSecretValueCommand({ SecretId: "sdk/watched", SecretString: "second" }));
    await Promise.race([arrived, sleep(1000)]);
    assert.equal(seen.length, 1, `watch called within 1 s (after ${Date.now() - t0} ms)`);
    assert.equal(seen[0]!.VersionId, put.VersionId);
    assert.equal(seen[0]!.SecretString, "second");
    assert.deepEqual(seen[0]!.VersionStages, ["AWSCURRENT"]);

    await sm.send(new RotateSecretCommand({ SecretId: "sdk/watched", RotationLambdaARN: `arn:aws:lambda:${TEST_REGION}:${TEST_ACCOUNT}:function:keyshift-random-password` }));
    const rotated = await eventually(15_000, () => seen.find((v) => v.VersionId !== put.VersionId));
    assert.ok(rotated, "watch saw the rotated version");
    const d = await sm.send(new DescribeSecretCommand({ SecretId: "sdk/watched" }));
    assert.deepEqual(d.VersionIdsToStages![rotated.VersionId], ["AWSCURRENT"]);
    assert.notEqual(rotated.SecretString, "second");
    w.close();
  });

  test("consumer reporting: what the client holds is visible at GET /v1/consumers?SecretId=, follows changes, and is withdrawn on close", async () => {
    const sm = smClient(s.endpoint);
    const created = await sm.send(new CreateSecretCommand({ Name: "sdk/held", SecretString: "h1" }));
    const id = `test-sdk-${randomUUID()}`;
    const c = new KeyshiftClient({ endpoint: s.endpoint, region: TEST_REGION, credentials: { accessKeyId: TEST_KEY_ID, secretAccessKey: TEST_SECRET }, consumer: { id, name: "sdk e2e" } });
    await c.getSecretValue("sdk/held");
    const first = await eventually(5000, async () => (await consumersOf("sdk/held")).Consumers.find((x) => x.ConsumerId === id));
    assert.ok(first, "reported");
    assert.equal(first.Kind, "sdk");
    assert.equal(first.Name, "sdk e2e");
    assert.deepEqual(first.Holdings, [{ ARN: created.ARN, VersionId: created.VersionId, VersionStages: ["AWSCURRENT"] }]);
    const put = await sm.send(new PutSecretValueCommand({ SecretId: "sdk/held", SecretString: "h2" }));
    assert.ok(await eventually(5000, async () => ((await c.getSecretValue("sdk/held")).VersionId === put.VersionId) || undefined));
    const next = await eventually(5000, async () => (await consumersOf("sdk/held")).Consumers.find((x) => x.ConsumerId === id && x.Holdings.some((h) => h.VersionId === put.VersionId)));
    assert.ok(next, "the new version is reported");
    await c.close();
    assert.equal((await consumersOf("sdk/held")).Consumers.find((x) => x.ConsumerId === id), undefined, "nothing held after close");
  });

  test("AWS error codes pass through and client errors are not retried", async () => {
    const c = client({ retry: { maxAttempts: 4, baseDelayMs: 1 } });
    gets = 0;
    await assert.rejects(c.getSecretValue("sdk/does-not-exist"), (e: unknown) => e instanceof SecretsError && e.code === "ResourceNotFoundException" && e.status === 400 && !e.retryable);
    assert.equal(gets, 1);
    const bad = client({ credentials: { accessKeyId: TEST_KEY_ID, secretAccessKey: "wrong-secret-key" }, watch: false, retry: { maxAttempts: 4, baseDelayMs: 1 } });
    await assert.rejects(bad.getSecretValue("sdk/read"), (e: unknown) => e instanceof SecretsError && e.code === "InvalidSignatureException" && !e.retryable);
    assert.equal(gets, 2);
  });
});
