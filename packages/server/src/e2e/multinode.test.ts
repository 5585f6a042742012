/**
 * Three Keyshift nodes (in-process apps) on one PostgreSQL database, driven with the real AWS
 * SDK: any node answers any request, the change feed reaches subscribers on every node with
 * database-wide sequence numbers, a node's cache follows the other nodes' writes, and
 * idempotency tokens hold across nodes. Needs the machine's PostgreSQL (127.0.0.1:5432).
 */
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { randomBytes, randomUUID } from "node:crypto";
import { CreateSecretCommand, DescribeSecretCommand, GetSecretValueCommand, ListSecretVersionIdsCommand, PutSecretValueCommand, RotateSecretCommand, type SecretsManagerClient } from "@aws-sdk/client-secrets-manager";
import { rmSync } from "node:fs";
import { join } from "node:path";
import { TEST_ACCOUNT, TEST_REGION, startTestServer, tempDir, type TestServer } from "../testing/harness.js";
import { waitForHistory } from "../testing/rotation-history.js";
import { loadAuditKey } from "../audit/chain.js";
import { verifyStoreTrail } from "../audit/verify-trail.js";
import { smClient } from "../testing/sm-client.js";
import { subscribeChanges } from "../testing/sse-client.js";
import { createTestDatabase, sharedPostgresUnavailable, type TestDatabase } from "../storage/postgres/test-database.js";

const unavailable = await sharedPostgresUnavailable();

describe("three nodes on one PostgreSQL database (in-process)", () => {
  let db: TestDatabase | undefined;
  const nodes: TestServer[] = [];
  const clients: SecretsManagerClient[] = [];
  before(async () => {
    if (unavailable !== undefined) return;
    db = await createTestDatabase("keyshift_multinode");
    const env = { KEYSHIFT_MASTER_KEY: randomBytes(32).toString("base64") };
    // One audit key for the cluster: each node writes its own chain, any node verifies them all.
    keyDir = tempDir("keyshift-audit-key-");
    auditKey = loadAuditKey(join(keyDir, "audit.key"), true);
    for (let i = 0; i < 3; i++) {
      nodes.push(await startTestServer({ env, config: { store: { url: db.url, poolSize: 4 }, audit: { keyFile: join(keyDir, "audit.key") } }, rotation: { nodeId: `node-${i}` } }));
      clients.push(smClient(nodes[i]!.endpoint));
    }
  });
  after(async () => {
    for (const n of nodes) await n.close();
    await db?.drop();
    if (keyDir) rmSync(keyDir, { recursive: true, force: true });
  });
  let keyDir: string | undefined;
  let auditKey: Buffer;
  const ready = (t: { skip: (m: string) => void }): boolean => {
    if (unavailable === undefined) return true;
    if (process.env.CI === "true") throw new Error(`${unavailable} is required in CI but is not available`);
    console.log(`# skipped: ${unavailable} not available`);
    t.skip(`${unavailable} not available`);
    return false;
  };

  test("a change made on node A reaches an SSE subscriber on node B within 1 s, and node B's cached read sees it", async (t) => {
    if (!ready(t)) return;
    const [a, b] = clients as [SecretsManagerClient, SecretsManagerClient];
    const name = `feed/${randomUUID().slice(0, 8)}`;
    const created = await a.send(new CreateSecretCommand({ Name: name, SecretString: "one" }));
    // Node B reads it twice: the second read is served from B's cache.
    assert.equal((await b.send(new GetSecretValueCommand({ SecretId: name }))).SecretString, "one");
    assert.equal((await b.send(new GetSecretValueCommand({ SecretId: name }))).SecretString, "one");
    const sub = await subscribeChanges(nodes[1]!.endpoint);
    try {
      assert.equal(sub.status, 200);
      await sub.next((e) => e.event === "hello");
      const started = performance.now();
      const put = await a.send(new PutSecretValueCommand({ SecretId: name, SecretString: "two" }));
      const e = await sub.next((x) => x.event === "change" && (JSON.parse(x.data) as { ARN: string; VersionIdsToStages?: Record<string, string[]> }).VersionIdsToStages?.[put.VersionId!]?.includes("AWSCURRENT") === true, 1000);
      const ms = performance.now() - started;
      assert.ok(ms < 1000, `the event took ${ms} ms`);
      assert.equal((JSON.parse(e.data) as { ARN: string }).ARN, created.ARN);
      const got = await b.send(new GetSecretValueCommand({ SecretId: name }));
      assert.equal(got.VersionId, put.VersionId);
      assert.equal(got.SecretString, "two");
      console.log(`# change on node A seen by node B's subscriber after ${ms.toFixed(1)} ms`);
    } finally {
      sub.close();
    }
  });

  test("sequence numbers are database-wide: a subscriber resumes on node C from an event id it got on node A", async (t) => {
    if (!ready(t)) return;
    const [a, b] = clients as [SecretsManagerClient, SecretsManagerClient];
    const name = `resume/${randomUUID().slice(0, 8)}`;
    const subA = await subscribeChanges(nodes[0]!.endpoint);
    let lastId: string;
    try {
      await a.send(new CreateSecretCommand({ Name: name, SecretString: "1" }));
      lastId = (await subA.next((e) => e.event === "change" && e.data.includes(name))).id!;
    } finally {
      subA.close();
    }
    const p2 = await b.send(new PutSecretValueCommand({ SecretId: name, SecretString: "2" }));
    const p3 = await a.send(new PutSecretValueCommand({ SecretId: name, SecretString: "3" }));
    const subC = await subscribeChanges(nodes[2]!.endpoint, { lastEventId: lastId });
    try {
      const e2 = await subC.next((e) => e.event === "change" && e.data.includes(p2.VersionId!));
      const e3 = await subC.next((e) => e.event === "change" && e.data.includes(p3.VersionId!));
      assert.ok(!subC.events.some((e) => e.event === "reset"), "resumed, not reset");
      assert.ok(Number(e2.id) > Number(lastId) && Number(e3.id) > Number(e2.id), `${lastId} < ${e2.id} < ${e3.id}`);
    } finally {
      subC.close();
    }
  });

  test("writes and reads spread over the three nodes: every acknowledged write is there, tokens stay idempotent across nodes", async (t) => {
    if (!ready(t)) return;
    const names = Array.from({ length: 6 }, (_, i) => `spread/${i}-${randomUUID().slice(0, 6)}`);
    for (const [i, n] of names.entries()) await clients[i % 3]!.send(new CreateSecretCommand({ Name: n, SecretString: "v0" }));
    const acked: { name: string; versionId: string; value: string }[] = [];
    await Promise.all(
      Array.from({ length: 6 }, async (_, w) => {
        for (let i = 0; i < 10; i++) {
          const name = names[(w + i) % names.length]!;
          const token = randomUUID();
          const value = `w${w}-${i}`;
          const first = await clients[(w + i) % 3]!.send(new PutSecretValueCommand({ SecretId: name, SecretString: value, ClientRequestToken: token }));
          // The same request retried on another node: the same version, nothing new.
          const again = await clients[(w + i + 1) % 3]!.send(new PutSecretValueCommand({ SecretId: name, SecretString: value, ClientRequestToken: token }));
          assert.equal(again.VersionId, first.VersionId);
          acked.push({ name, versionId: first.VersionId!, value });
          await clients[(w + i + 2) % 3]!.send(new GetSecretValueCommand({ SecretId: name }));
        }
      }),
    );
    for (const x of acked) {
      const got = await clients[acked.indexOf(x) % 3]!.send(new GetSecretValueCommand({ SecretId: x.name, VersionId: x.versionId }));
      assert.equal(got.SecretString, x.value);
    }
    for (const n of names) {
      const versions = (await clients[0]!.send(new ListSecretVersionIdsCommand({ SecretId: n, IncludeDeprecated: true }))).Versions ?? [];
      assert.equal(versions.length, 1 + acked.filter((x) => x.name === n).length, `${n}: one version per acknowledged put`);
      const current = await Promise.all(clients.map((c) => c.send(new GetSecretValueCommand({ SecretId: n }))));
      assert.equal(new Set(current.map((c) => c.VersionId)).size, 1, "every node answers the same AWSCURRENT");
      const d = await clients[1]!.send(new DescribeSecretCommand({ SecretId: n }));
      assert.deepEqual(d.VersionIdsToStages?.[current[0]!.VersionId!], ["AWSCURRENT"]);
    }
  });

  test("the audit trail: one chain per node in the shared database, every chain verifies", async (t) => {
    if (!ready(t)) return;
    await clients[2]!.send(new GetSecretValueCommand({ SecretId: "no-such-secret" })).catch(() => undefined);
    const report = await verifyStoreTrail(nodes[0]!.app.store, auditKey);
    assert.ok(report.ok, JSON.stringify(report.chains.filter((c) => c.problem)));
    const chains = report.chains.map((c) => c.chain).sort();
    assert.deepEqual(chains.filter((c) => /node-[012]/.test(c)).length, 3, `chains: ${chains.join(", ")}`);
    assert.ok(report.records > 0);
  });

  test("a rotation falls due: the schedulers of all three nodes pass at once and exactly one starts it", async (t) => {
    if (!ready(t)) return;
    const name = `due/${randomUUID().slice(0, 8)}`;
    await clients[0]!.send(new CreateSecretCommand({ Name: name, SecretString: "x" }));
    await clients[1]!.send(new RotateSecretCommand({ SecretId: name, RotationLambdaARN: `arn:aws:lambda:${TEST_REGION}:${TEST_ACCOUNT}:function:keyshift-random-password`, RotationRules: { AutomaticallyAfterDays: 30 } }));
    assert.equal((await waitForHistory(nodes[1]!.endpoint, name)).length, 1);
    const store = nodes[2]!.app.store;
    const s = (await store.getSecretByName(TEST_ACCOUNT, TEST_REGION, name))!;
    await store.commit([{ op: "updateSecret", secret: { ...s, rotationDueAt: Date.now() - 1000, revision: s.revision + 1 } }]);
    const started = await Promise.all(nodes.map((n) => n.app.scheduleNow()));
    assert.equal(started.reduce((a, b) => a + b, 0), 1, `started per node: ${started.join(", ")}`);
    const history = await waitForHistory(nodes[0]!.endpoint, name);
    assert.deepEqual(history.map((h) => h.Status), ["succeeded", "succeeded"]);
    assert.deepEqual(history.map((h) => (h as unknown as { Method: string }).Method), ["automatic", "manual"]);
  });
});
