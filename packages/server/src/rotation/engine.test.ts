import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import {
  CancelRotateSecretCommand, CreateSecretCommand, DescribeSecretCommand, GetSecretValueCommand, ListSecretVersionIdsCommand, PutSecretValueCommand, RotateSecretCommand,
  type SecretsManagerClient,
} from "@aws-sdk/client-secrets-manager";
import { callApi } from "../cli/api-client.js";
import { TEST_ACCOUNT, TEST_KEY_ID, TEST_REGION, TEST_SECRET, startTestServer, type TestServer } from "../testing/harness.js";
import { startHttpRotator, type RotationEvent } from "../testing/http-rotator.js";
import { smClient, smClientAt } from "../testing/sm-client.js";
import type { RotationRecord } from "./records.js";

const RANDOM = `arn:aws:lambda:${TEST_REGION}:${TEST_ACCOUNT}:function:keyshift-random-password`;
const fn = (name: string) => `arn:aws:lambda:${TEST_REGION}:${TEST_ACCOUNT}:function:${name}`;
const DAY = 86_400_000;

/** Waits until the secret has no running rotation; returns its latest rotation. */
async function settled(s: TestServer, name: string): Promise<RotationRecord> {
  const secret = await s.app.store.getSecretByName(TEST_ACCOUNT, TEST_REGION, name);
  for (let i = 0; i < 500; i++) {
    const running = await s.app.store.getRunningRotation(secret!.uid);
    if (running) await s.app.deps.rotation.settled(running.id);
    if (!running || i > 0) {
      const [last] = await s.app.store.listRotations({ accountId: TEST_ACCOUNT, secretUid: secret!.uid, limit: 1 });
      if (last && last.status !== "running") return last;
    }
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error("rotation did not settle");
}

async function labels(c: SecretsManagerClient, id: string): Promise<Record<string, string[]>> {
  return (await c.send(new DescribeSecretCommand({ SecretId: id }))).VersionIdsToStages ?? {};
}

const api = (s: TestServer) => ({ endpointUrl: s.endpoint, region: TEST_REGION });
const env = { AWS_ACCESS_KEY_ID: TEST_KEY_ID, AWS_SECRET_ACCESS_KEY: TEST_SECRET };

describe("rotation with the built-in random-password rotator", () => {
  let s: TestServer;
  let c: SecretsManagerClient;
  before(async () => {
    s = await startTestServer();
    c = smClient(s.endpoint);
  });
  after(async () => s.close());

  test("RotateSecret runs the four steps: new AWSCURRENT, old one AWSPREVIOUS, AWSPENDING gone, dates reported", async () => {
    const v1 = (await c.send(new CreateSecretCommand({ Name: "rot/basic", SecretString: "initial" }))).VersionId!;
    const token = randomUUID();
    const r = await c.send(new RotateSecretCommand({ SecretId: "rot/basic", RotationLambdaARN: RANDOM, RotationRules: { AutomaticallyAfterDays: 1 }, ClientRequestToken: token }));
    assert.equal(r.VersionId, token);
    const rec = await settled(s, "rot/basic");
    assert.equal(rec.status, "succeeded", rec.error);
    assert.deepEqual(rec.steps.map((x) => [x.step, x.outcome]), [["createSecret", "succeeded"], ["setSecret", "succeeded"], ["testSecret", "succeeded"], ["finishSecret", "succeeded"]]);
    assert.deepEqual(await labels(c, "rot/basic"), { [v1]: ["AWSPREVIOUS"], [token]: ["AWSCURRENT"] });
    const cur = await c.send(new GetSecretValueCommand({ SecretId: "rot/basic" }));
    assert.equal(cur.VersionId, token);
    assert.equal(cur.SecretString!.length, 32);
    assert.notEqual(cur.SecretString, "initial");
    const d = await c.send(new DescribeSecretCommand({ SecretId: "rot/basic" }));
    assert.equal(d.RotationEnabled, true);
    assert.equal(d.RotationLambdaARN, RANDOM);
    assert.deepEqual(d.RotationRules, { AutomaticallyAfterDays: 1 });
    assert.ok(d.LastRotatedDate instanceof Date);
    assert.ok(d.NextRotationDate! > d.LastRotatedDate!);
    assert.equal(rec.method, "manual");
  });

  test("rotating again without parameters uses the stored configuration; AWSPREVIOUS follows", async () => {
    const first = await c.send(new GetSecretValueCommand({ SecretId: "rot/basic" }));
    const token = randomUUID();
    await c.send(new RotateSecretCommand({ SecretId: "rot/basic", ClientRequestToken: token }));
    const rec = await settled(s, "rot/basic");
    assert.equal(rec.status, "succeeded", rec.error);
    const l = await labels(c, "rot/basic");
    assert.deepEqual(l[token], ["AWSCURRENT"]);
    assert.deepEqual(l[first.VersionId!], ["AWSPREVIOUS"]);
    assert.equal(Object.keys(l).length, 2);
  });

  test("the AWSPENDING placeholder has no value until createSecret; a retry with the same token is answered alike", async () => {
    await c.send(new CreateSecretCommand({ Name: "rot/idem", SecretString: "x" }));
    const token = randomUUID();
    const a = await c.send(new RotateSecretCommand({ SecretId: "rot/idem", RotationLambdaARN: RANDOM, ClientRequestToken: token }));
    const b = await c.send(new RotateSecretCommand({ SecretId: "rot/idem", RotationLambdaARN: RANDOM, ClientRequestToken: token })).catch((e: Error) => e);
    assert.equal(a.VersionId, token);
    // Either the same answer (still running) or the rotation already finished and the token names a version.
    if (b instanceof Error) assert.equal(b.name, "ResourceExistsException");
    else assert.equal(b.VersionId, token);
    assert.equal((await settled(s, "rot/idem")).status, "succeeded");
  });

  test("a previous rotation that isn't complete blocks RotateSecret", async () => {
    await c.send(new CreateSecretCommand({ Name: "rot/pending", SecretString: "x" }));
    await c.send(new PutSecretValueCommand({ SecretId: "rot/pending", SecretString: "p", VersionStages: ["AWSPENDING"] }));
    await assert.rejects(c.send(new RotateSecretCommand({ SecretId: "rot/pending", RotationLambdaARN: RANDOM })), (e: Error) => e.name === "InvalidRequestException" && e.message === "A previous rotation isn't complete. That rotation will be reattempted.");
  });

  test("RotateImmediately=false only tests: AWSCURRENT unchanged, the test version removed, schedule set", async () => {
    const v1 = (await c.send(new CreateSecretCommand({ Name: "rot/test-only", SecretString: "keep" }))).VersionId!;
    await c.send(new RotateSecretCommand({ SecretId: "rot/test-only", RotationLambdaARN: RANDOM, RotationRules: { ScheduleExpression: "rate(10 days)" }, RotateImmediately: false }));
    const rec = await settled(s, "rot/test-only");
    assert.equal(rec.status, "succeeded", rec.error);
    assert.equal(rec.method, "test");
    assert.deepEqual(rec.steps.map((x) => x.step), ["testSecret"]);
    assert.deepEqual(await labels(c, "rot/test-only"), { [v1]: ["AWSCURRENT"] });
    const all = await c.send(new ListSecretVersionIdsCommand({ SecretId: "rot/test-only", IncludeDeprecated: true }));
    assert.equal(all.Versions!.length, 1);
    const d = await c.send(new DescribeSecretCommand({ SecretId: "rot/test-only" }));
    assert.equal(d.RotationEnabled, true);
    assert.ok(d.NextRotationDate!.getTime() > Date.now() + 9 * DAY);
    assert.equal(d.LastRotatedDate, undefined);
    // The scheduler will rotate it when the schedule says so.
    const stored = (await s.app.store.getSecretByName(TEST_ACCOUNT, TEST_REGION, "rot/test-only"))!;
    assert.equal(stored.rotationDueAt, d.NextRotationDate!.getTime());
  });

  test("JSON secrets: only the configured key changes, in the configured format", async () => {
    await c.send(new CreateSecretCommand({ Name: "rot/json", SecretString: JSON.stringify({ user: "svc", apiKey: "old", keep: 1 }) }));
    await c.send(new RotateSecretCommand({
      SecretId: "rot/json", RotationLambdaARN: RANDOM,
      ExternalSecretRotationMetadata: [{ Key: "jsonKey", Value: "apiKey" }, { Key: "format", Value: "apikey" }, { Key: "prefix", Value: "sk_live_" }],
    }));
    assert.equal((await settled(s, "rot/json")).status, "succeeded");
    const v = JSON.parse((await c.send(new GetSecretValueCommand({ SecretId: "rot/json" }))).SecretString!) as Record<string, unknown>;
    assert.equal(v.user, "svc");
    assert.equal(v.keep, 1);
    assert.match(String(v.apiKey), /^sk_live_[A-Za-z0-9_-]{43}$/);
    const d = await c.send(new DescribeSecretCommand({ SecretId: "rot/json" }));
    assert.deepEqual(d.ExternalSecretRotationMetadata, [{ Key: "jsonKey", Value: "apiKey" }, { Key: "format", Value: "apikey" }, { Key: "prefix", Value: "sk_live_" }]);
    for (const [format, re] of [["hex", /^[0-9a-f]{64}$/], ["base64", /^[A-Za-z0-9+/]{43}=$/]] as const) {
      await c.send(new RotateSecretCommand({ SecretId: "rot/json", ExternalSecretRotationMetadata: [{ Key: "format", Value: format }] }));
      assert.equal((await settled(s, "rot/json")).status, "succeeded");
      assert.match((await c.send(new GetSecretValueCommand({ SecretId: "rot/json" }))).SecretString!, re);
    }
  });

  test("an unknown function is refused as AWS refuses it, and nothing is stored", async () => {
    await c.send(new CreateSecretCommand({ Name: "rot/unknown", SecretString: "x" }));
    await assert.rejects(c.send(new RotateSecretCommand({ SecretId: "rot/unknown", RotationLambdaARN: fn("nope") })), (e: Error) => e.name === "AccessDeniedException" && e.message.startsWith("Secrets Manager cannot invoke the specified Lambda function."));
    await assert.rejects(c.send(new RotateSecretCommand({ SecretId: "rot/unknown", RotationLambdaARN: "arn:aws:lambda:us-east-1:999999999999:function:someone-elses" })), (e: Error) => e.name === "AccessDeniedException");
    const d = await c.send(new DescribeSecretCommand({ SecretId: "rot/unknown" }));
    assert.equal(d.RotationEnabled, undefined);
    assert.equal(d.RotationLambdaARN, undefined);
  });
});

describe("rotation through a registered HTTP rotation function", () => {
  let s: TestServer;
  let c: SecretsManagerClient;
  let now = Date.now();
  before(async () => {
    s = await startTestServer({ clock: () => now });
    c = smClientAt(s.endpoint, () => now);
  });
  after(async () => s.close());
  const api = (s: TestServer) => ({ endpointUrl: s.endpoint, region: TEST_REGION, clock: () => now });

  test("the function receives the exact AWS event for each step and rotates with the normal API", async () => {
    const fnServer = await startHttpRotator(c);
    try {
      await callApi(api(s), "PUT", "/v1/rotators/template-fn", { Url: fnServer.url }, env);
      const listed = (await callApi(api(s), "GET", "/v1/rotators", undefined, env)) as { Rotators: { Name: string; BuiltIn: boolean }[] };
      assert.ok(listed.Rotators.some((r) => r.Name === "template-fn" && !r.BuiltIn));
      assert.ok(listed.Rotators.some((r) => r.Name === "keyshift-random-password" && r.BuiltIn));
      const created = await c.send(new CreateSecretCommand({ Name: "http/one", SecretString: "v1" }));
      const token = randomUUID();
      await c.send(new RotateSecretCommand({ SecretId: "http/one", RotationLambdaARN: fn("template-fn"), ClientRequestToken: token }));
      assert.equal((await settled(s, "http/one")).status, "succeeded");
      assert.deepEqual(fnServer.events.map((e) => e.Step), ["createSecret", "setSecret", "testSecret", "finishSecret"]);
      for (const e of fnServer.events) {
        assert.deepEqual(Object.keys(e).sort(), ["ClientRequestToken", "RotationToken", "SecretId", "Step"]);
        assert.equal(e.SecretId, created.ARN);
        assert.equal(e.ClientRequestToken, token);
      }
      assert.equal((await c.send(new GetSecretValueCommand({ SecretId: "http/one" }))).SecretString, `rotated-${token}`);
      await callApi(api(s), "DELETE", "/v1/rotators/template-fn", undefined, env);
      await assert.rejects(c.send(new RotateSecretCommand({ SecretId: "http/one" })), (e: Error) => e.name === "AccessDeniedException");
    } finally {
      await fnServer.close();
    }
  });

  test("a failing testSecret abandons cleanly: AWSCURRENT kept, AWSPENDING removed, reason recorded redacted, retried with backoff, then flagged failing", async () => {
    let failing = true;
    const fnServer = await startHttpRotator(c, async (e: RotationEvent) => {
      if (e.Step !== "testSecret" || !failing) return undefined;
      // A function that echoes the pending value in its error: it must not reach the history.
      const pending = await c.send(new GetSecretValueCommand({ SecretId: e.SecretId, VersionId: e.ClientRequestToken, VersionStage: "AWSPENDING" }));
      return { status: 500, body: `login failed with ${pending.SecretString}` };
    });
    try {
      await callApi(api(s), "PUT", "/v1/rotators/flaky", { Url: fnServer.url }, env);
      const v1 = (await c.send(new CreateSecretCommand({ Name: "http/flaky", SecretString: "still-current" }))).VersionId!;
      await c.send(new RotateSecretCommand({ SecretId: "http/flaky", RotationLambdaARN: fn("flaky"), RotationRules: { AutomaticallyAfterDays: 30 } }));
      const rec = await settled(s, "http/flaky");
      assert.equal(rec.status, "failed");
      assert.match(rec.error!, /HTTP 500: login failed with \[REDACTED\]/);
      assert.ok(!rec.error!.includes("rotated-"));
      assert.deepEqual(await labels(c, "http/flaky"), { [v1]: ["AWSCURRENT"] });
      assert.equal((await c.send(new GetSecretValueCommand({ SecretId: "http/flaky" }))).SecretString, "still-current");
      const versions = await c.send(new ListSecretVersionIdsCommand({ SecretId: "http/flaky", IncludeDeprecated: true }));
      assert.equal(versions.Versions!.length, 1, "the version that never became current is removed");
      const secret = (await s.app.store.getSecretByName(TEST_ACCOUNT, TEST_REGION, "http/flaky"))!;
      assert.equal(secret.rotationFailures, 1);
      const backoff1 = secret.rotationDueAt! - now;
      assert.ok(backoff1 > 0 && backoff1 <= 300_000, `first retry after ${backoff1} ms`);
      // The scheduler retries at the due time, with growing backoff, up to maxAttempts (5).
      for (let attempt = 2; attempt <= 5; attempt++) {
        now = (await s.app.store.getSecretByUid(secret.uid))!.rotationDueAt! + 1;
        assert.equal(await s.app.scheduleNow(), 1);
        const r = await settled(s, "http/flaky");
        assert.equal(r.status, "failed");
        assert.equal(r.method, "automatic");
        assert.equal(r.attempt, attempt);
      }
      const flagged = (await s.app.store.getSecretByUid(secret.uid))!;
      assert.equal(flagged.rotationFailing, true);
      assert.equal(flagged.rotationDueAt, undefined);
      now += 365 * DAY;
      assert.equal(await s.app.scheduleNow(), 0, "a failing secret is not retried automatically");
      // A manual rotation clears the flag; with the function fixed it succeeds.
      failing = false;
      await c.send(new RotateSecretCommand({ SecretId: "http/flaky" }));
      const ok = await settled(s, "http/flaky");
      assert.equal(ok.status, "succeeded", ok.error);
      const healed = (await s.app.store.getSecretByUid(secret.uid))!;
      assert.equal(healed.rotationFailing, false);
      assert.equal(healed.rotationFailures, 0);
      const history = (await callApi(api(s), "GET", `/v1/rotations?SecretId=http/flaky&MaxResults=3`, undefined, env)) as { Rotations: { Status: string; Method: string; Steps: { Step: string }[]; Error?: string }[]; NextToken?: string };
      assert.equal(history.Rotations.length, 3);
      assert.equal(history.Rotations[0]!.Status, "succeeded");
      assert.ok(history.NextToken);
      const rest = (await callApi(api(s), "GET", `/v1/rotations?SecretId=http/flaky&NextToken=${encodeURIComponent(history.NextToken!)}`, undefined, env)) as { Rotations: { Status: string }[] };
      assert.equal(rest.Rotations.length, 3);
      const failed = (await callApi(api(s), "GET", `/v1/rotations?SecretId=http/flaky&Status=failed`, undefined, env)) as { Rotations: unknown[] };
      assert.equal(failed.Rotations.length, 5);
    } finally {
      await fnServer.close();
    }
  });

  test("the scheduler rotates when due, once, and a manual PutSecretValue counts as a rotation", async () => {
    await c.send(new CreateSecretCommand({ Name: "sched/one", SecretString: "x" }));
    await c.send(new RotateSecretCommand({ SecretId: "sched/one", RotationLambdaARN: RANDOM, RotationRules: { AutomaticallyAfterDays: 2 } }));
    assert.equal((await settled(s, "sched/one")).method, "manual");
    const d1 = await c.send(new DescribeSecretCommand({ SecretId: "sched/one" }));
    assert.equal(await s.app.scheduleNow(), 0, "nothing due yet");
    now = d1.NextRotationDate!.getTime() + 1000;
    assert.equal(await s.app.scheduleNow(), 1);
    assert.equal(await s.app.scheduleNow(), 0, "not started twice");
    const rec = await settled(s, "sched/one");
    assert.equal(rec.method, "automatic");
    assert.equal(rec.status, "succeeded");
    const d2 = await c.send(new DescribeSecretCommand({ SecretId: "sched/one" }));
    assert.ok(d2.NextRotationDate! > d1.NextRotationDate!);
    // A manual change moves the next date: 2 days from the change.
    now += 1.5 * DAY;
    await c.send(new PutSecretValueCommand({ SecretId: "sched/one", SecretString: "by hand" }));
    const d3 = await c.send(new DescribeSecretCommand({ SecretId: "sched/one" }));
    assert.ok(d3.NextRotationDate! > d2.NextRotationDate!);
    now = d2.NextRotationDate!.getTime() + 1000;
    assert.equal(await s.app.scheduleNow(), 0, "the manual change pushed the rotation out");
  });

  test("CancelRotateSecret stops a rotation in progress and turns rotation off", async () => {
    let release!: () => void;
    const held = new Promise<void>((r) => (release = r));
    const fnServer = await startHttpRotator(c, async (e) => {
      if (e.Step === "setSecret") await held;
      return undefined;
    });
    try {
      await callApi(api(s), "PUT", "/v1/rotators/slow", { Url: fnServer.url }, env);
      const v1 = (await c.send(new CreateSecretCommand({ Name: "http/cancel", SecretString: "v1" }))).VersionId!;
      const token = randomUUID();
      await c.send(new RotateSecretCommand({ SecretId: "http/cancel", RotationLambdaARN: fn("slow"), RotationRules: { AutomaticallyAfterDays: 1 }, ClientRequestToken: token }));
      for (let i = 0; i < 100 && !fnServer.events.some((e) => e.Step === "setSecret"); i++) await new Promise((r) => setTimeout(r, 20));
      await assert.rejects(c.send(new RotateSecretCommand({ SecretId: "http/cancel" })), (e: Error) => e.message === "A previous rotation isn't complete. That rotation will be reattempted.");
      const out = await c.send(new CancelRotateSecretCommand({ SecretId: "http/cancel" }));
      assert.equal(out.VersionId, token);
      release();
      const rec = await settled(s, "http/cancel");
      assert.equal(rec.status, "cancelled");
      assert.deepEqual(await labels(c, "http/cancel"), { [v1]: ["AWSCURRENT"] });
      const d = await c.send(new DescribeSecretCommand({ SecretId: "http/cancel" }));
      assert.equal(d.RotationEnabled, false);
      assert.equal(d.NextRotationDate, undefined);
    } finally {
      release();
      await fnServer.close();
    }
  });
});

describe("step timeouts", () => {
  test("a step that does not answer in time fails the rotation and AWSCURRENT stays", async () => {
    const s = await startTestServer({ rotation: { stepTimeoutSeconds: 0.3 } });
    const c = smClient(s.endpoint);
    const fnServer = await startHttpRotator(c, async (e) => {
      if (e.Step === "setSecret") await new Promise((r) => setTimeout(r, 2000));
      return undefined;
    });
    try {
      await callApi(api(s), "PUT", "/v1/rotators/hang", { Url: fnServer.url }, env);
      const v1 = (await c.send(new CreateSecretCommand({ Name: "timeout/one", SecretString: "v1" }))).VersionId!;
      await c.send(new RotateSecretCommand({ SecretId: "timeout/one", RotationLambdaARN: fn("hang") }));
      const rec = await settled(s, "timeout/one");
      assert.equal(rec.status, "failed");
      assert.match(rec.error!, /setSecret did not finish within 300 ms/);
      assert.deepEqual(await labels(c, "timeout/one"), { [v1]: ["AWSCURRENT"] });
    } finally {
      await fnServer.close();
      await s.close();
    }
  });
});
