/**
 * Notifications end to end: a real server (in process) delivers to a real local HTTP receiver.
 * Rotations with the built-in random-password rotator and a failing HTTP rotation function give
 * RotationSucceeded / RotationFailed; DeleteSecret gives SecretDeleted to a webhook registered
 * through the management API, whose receiver first answers 500 (the retry is checked); a user
 * without permissions denied N times gives AccessDeniedBurst. Signatures are verified here with
 * node:crypto. Finally no secret value appears in any body, in the log lines or in /metrics.
 */
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { createHmac, randomUUID, timingSafeEqual } from "node:crypto";
import { createServer, type IncomingHttpHeaders, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { rmSync } from "node:fs";
import { Writable } from "node:stream";
import { CreateSecretCommand, DeleteSecretCommand, GetSecretValueCommand, RotateSecretCommand, type SecretsManagerClient } from "@aws-sdk/client-secrets-manager";
import { startApp, type App } from "../app.js";
import { callApi } from "../cli/api-client.js";
import { loadConfig } from "../config/load.js";
import { hashName, logHashKey } from "../logging/logger.js";
import { TEST_ACCOUNT, TEST_KEY_ID, TEST_REGION, TEST_SECRET, startTestServer, tempDir } from "../testing/harness.js";
import { startHttpRotator } from "../testing/http-rotator.js";
import { smClient, smClientAt } from "../testing/sm-client.js";

const RANDOM = `arn:aws:lambda:${TEST_REGION}:${TEST_ACCOUNT}:function:keyshift-random-password`;
const OPS_SECRET = `ops-signing-key-${randomUUID()}`;
const API_SECRET = `api-signing-key-${randomUUID()}`;
const MARKER = `MARKER-${randomUUID()}`;
const BURST = 4;

interface Received {
  path: string;
  headers: IncomingHttpHeaders;
  body: string;
  answered: number;
}

let receiver: Server;
let recvUrl: string;
const received: Received[] = [];
let flakyCalls = 0;
let app: App;
let dataDir: string;
let sm: SecretsManagerClient;
const logLines: string[] = [];
/** Every value a secret had during the test: none may leak. */
const values = new Set<string>([MARKER]);
const adminEnv = { AWS_ACCESS_KEY_ID: TEST_KEY_ID, AWS_SECRET_ACCESS_KEY: TEST_SECRET };

function api(method: string, path: string, body?: unknown, env: NodeJS.ProcessEnv = adminEnv): Promise<unknown> {
  return callApi({ endpointUrl: app.endpoint }, method, path, body, env);
}

/** The receiver's check, written independently of the server's signing code. */
function verify(secret: string, r: Received): boolean {
  const ts = String(r.headers["x-keyshift-timestamp"]);
  const sig = String(r.headers["x-keyshift-signature"]);
  if (Math.abs(Date.now() / 1000 - Number(ts)) > 300) return false;
  const want = Buffer.from(`sha256=${createHmac("sha256", secret).update(`${ts}.${r.body}`).digest("hex")}`);
  return sig.length === want.length && timingSafeEqual(Buffer.from(sig), want);
}

async function rotationsDone(): Promise<void> {
  const deadline = Date.now() + 20_000;
  while (app.deps.rotation.active > 0) {
    if (Date.now() > deadline) throw new Error("rotation did not end");
    await new Promise((r) => setTimeout(r, 20));
  }
  await app.notifier.idle();
}

const bodies = (path: string, type: string) => received.filter((r) => r.path === path && r.headers["x-keyshift-event"] === type);

before(async () => {
  receiver = createServer((req, res) => {
    let body = "";
    req.on("data", (d: Buffer) => (body += d.toString()));
    req.on("end", () => {
      let status = 200;
      if (req.url === "/flaky" && flakyCalls++ === 0) status = 500;
      received.push({ path: req.url!, headers: req.headers, body, answered: status });
      res.writeHead(status);
      res.end();
    });
  });
  await new Promise<void>((r) => receiver.listen(0, "127.0.0.1", r));
  recvUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}`;
  dataDir = tempDir();
  const config = loadConfig({
    env: { KEYSHIFT_ACCOUNT_ID: TEST_ACCOUNT, KEYSHIFT_BOOTSTRAP_ACCESS_KEY_ID: TEST_KEY_ID, KEYSHIFT_BOOTSTRAP_SECRET_ACCESS_KEY: TEST_SECRET },
    flags: { dataDir, port: 0, host: "127.0.0.1" },
    overrides: {
      log: { level: "debug", hashSecretNames: true },
      rotation: { schedulerIntervalSeconds: 3600, retryBaseSeconds: 60 },
      notifications: {
        retryBaseSeconds: 0.05,
        accessDeniedBurst: { threshold: BURST, windowSeconds: 60 },
        webhooks: [
          { name: "ops", url: `${recvUrl}/ops`, secret: OPS_SECRET },
          { name: "chat", url: `${recvUrl}/slack`, kind: "slack", events: ["RotationFailed", "AccessDeniedBurst"] },
        ],
      },
    },
  });
  const sink = new Writable({
    write(chunk: Buffer, _enc, cb) {
      logLines.push(...chunk.toString().split("\n").filter(Boolean));
      cb();
    },
  });
  app = await startApp(config, { logDestination: sink });
  sm = smClient(app.endpoint);
});

after(async () => {
  await app.close(1000);
  await new Promise<void>((r) => receiver.close(() => r()));
  rmSync(dataDir, { recursive: true, force: true });
});

describe("notifications to a local receiver", () => {
  test("RotationSucceeded after a random-password rotation: signed JSON, metadata only", async () => {
    await sm.send(new CreateSecretCommand({ Name: "/notify/app/db", SecretString: MARKER }));
    const token = randomUUID();
    await sm.send(new RotateSecretCommand({ SecretId: "/notify/app/db", RotationLambdaARN: RANDOM, RotationRules: { AutomaticallyAfterDays: 30 }, ClientRequestToken: token }));
    await rotationsDone();
    values.add((await sm.send(new GetSecretValueCommand({ SecretId: "/notify/app/db" }))).SecretString!);
    const [got, ...more] = bodies("/ops", "RotationSucceeded");
    assert.ok(got, "RotationSucceeded delivered");
    assert.equal(more.length, 0);
    assert.ok(verify(OPS_SECRET, got), "signature verifies");
    assert.ok(!verify("another-key-0123456789", got), "a wrong key does not verify");
    const b = JSON.parse(got.body) as Record<string, unknown>;
    assert.equal(b.type, "RotationSucceeded");
    assert.equal(b.secretName, "/notify/app/db");
    assert.equal(b.versionId, token);
    assert.equal(b.accountId, TEST_ACCOUNT);
    assert.match(String(b.secretArn), /^arn:aws:secretsmanager:us-east-1:111122223333:secret:\/notify\/app\/db-/);
    assert.equal((b.detail as Record<string, unknown>).method, "manual");
    assert.equal(got.headers["content-type"], "application/json");
    assert.equal(bodies("/slack", "RotationSucceeded").length, 0, "the slack webhook did not ask for it");
  });

  test("RotationFailed from a failing rotation function, to the webhook and to Slack as {text}", async () => {
    const fn = await startHttpRotator(sm, async (e) => (e.Step === "createSecret" ? { status: 500, body: "database unreachable" } : undefined));
    try {
      await api("PUT", "/v1/rotators/failing-fn", { Url: fn.url });
      await sm.send(new CreateSecretCommand({ Name: "/notify/app/failing", SecretString: `${MARKER}-2` }));
      values.add(`${MARKER}-2`);
      await sm.send(new RotateSecretCommand({ SecretId: "/notify/app/failing", RotationLambdaARN: `arn:aws:lambda:${TEST_REGION}:${TEST_ACCOUNT}:function:failing-fn`, RotationRules: { AutomaticallyAfterDays: 30 } }));
      await rotationsDone();
    } finally {
      await fn.close();
    }
    const [hook] = bodies("/ops", "RotationFailed");
    assert.ok(hook && verify(OPS_SECRET, hook));
    const b = JSON.parse(hook.body) as { secretName: string; detail: { error?: string; attempt: number } };
    assert.equal(b.secretName, "/notify/app/failing");
    assert.equal(b.detail.attempt, 1);
    assert.ok(b.detail.error, "the (redacted) reason is included");
    const [slack] = bodies("/slack", "RotationFailed");
    assert.ok(slack);
    const text = (JSON.parse(slack.body) as { text: string }).text;
    assert.deepEqual(Object.keys(JSON.parse(slack.body) as object), ["text"]);
    assert.match(text, /RotationFailed secret `\/notify\/app\/failing`/);
  });

  test("SecretDeleted to a webhook registered through the management API, retried after a 500", async () => {
    const put = (await api("PUT", "/v1/notifications/webhooks/flaky", { Url: `${recvUrl}/flaky`, Secret: API_SECRET, Events: ["SecretDeleted"] })) as Record<string, unknown>;
    assert.equal(put.HasSecret, true);
    assert.equal(put.Source, "api");
    assert.ok(!JSON.stringify(put).includes(API_SECRET), "the secret is never returned");
    const got = (await api("GET", "/v1/notifications/webhooks/flaky")) as { Events: string[]; Url: string };
    assert.deepEqual(got.Events, ["SecretDeleted"]);
    await assert.rejects(api("PUT", "/v1/notifications/webhooks/nosecret", { Url: `${recvUrl}/x` }), /ValidationException/);

    await sm.send(new DeleteSecretCommand({ SecretId: "/notify/app/failing", RecoveryWindowInDays: 7 }));
    await app.notifier.idle();
    const calls = received.filter((r) => r.path === "/flaky");
    assert.deepEqual(calls.map((c) => c.answered), [500, 200], "one retry after the 500");
    for (const c of calls) assert.ok(verify(API_SECRET, c), "every attempt is signed");
    assert.equal(calls[0]!.headers["x-keyshift-delivery"], calls[1]!.headers["x-keyshift-delivery"], "the retry keeps its delivery id");
    const b = JSON.parse(calls[1]!.body) as Record<string, unknown>;
    assert.equal(b.type, "SecretDeleted");
    assert.equal(b.secretName, "/notify/app/failing");
    assert.equal(b.principalArn, `arn:aws:iam::${TEST_ACCOUNT}:user/admin`);

    const log = (await api("GET", "/v1/notifications/deliveries?Webhook=flaky")) as { Deliveries: { Status: string; Attempts: number; LastStatusCode: number; Type: string }[] };
    assert.equal(log.Deliveries.length, 1);
    assert.deepEqual([log.Deliveries[0]!.Status, log.Deliveries[0]!.Attempts, log.Deliveries[0]!.LastStatusCode, log.Deliveries[0]!.Type], ["delivered", 2, 200, "SecretDeleted"]);
    const list = (await api("GET", "/v1/notifications/webhooks")) as { Webhooks: { Name: string; Source: string }[] };
    assert.deepEqual(list.Webhooks.map((w) => `${w.Name}:${w.Source}`).sort(), ["chat:config", "flaky:api", "ops:config"]);
    await api("DELETE", "/v1/notifications/webhooks/flaky");
    await assert.rejects(api("GET", "/v1/notifications/webhooks/flaky"), /404/);
  });

  test(`AccessDeniedBurst after ${BURST} denials of one principal`, async () => {
    await api("POST", `/v1/iam/accounts/${TEST_ACCOUNT}/users`, { UserName: "nobody" });
    const k = (await api("POST", `/v1/iam/accounts/${TEST_ACCOUNT}/users/nobody/access-keys`)) as { AccessKeyId: string; SecretAccessKey: string };
    const nobody = smClient(app.endpoint, { key: k.AccessKeyId, secret: k.SecretAccessKey });
    for (let i = 0; i < BURST - 1; i++) await assert.rejects(nobody.send(new GetSecretValueCommand({ SecretId: "/notify/app/db" })), { name: "AccessDeniedException" });
    await app.notifier.idle();
    assert.equal(bodies("/ops", "AccessDeniedBurst").length, 0, "below the threshold: nothing");
    // The management API's denials count too.
    await assert.rejects(api("PUT", "/v1/notifications/webhooks/evil", { Url: `${recvUrl}/evil`, Secret: API_SECRET }, { AWS_ACCESS_KEY_ID: k.AccessKeyId, AWS_SECRET_ACCESS_KEY: k.SecretAccessKey }), /AccessDenied/);
    for (let i = 0; i < 3; i++) await assert.rejects(nobody.send(new GetSecretValueCommand({ SecretId: "/notify/app/db" })), { name: "AccessDeniedException" });
    await app.notifier.idle();
    const hits = bodies("/ops", "AccessDeniedBurst");
    assert.equal(hits.length, 1, "one alarm per burst");
    const b = JSON.parse(hits[0]!.body) as { principalArn: string; detail: { denials: number } };
    assert.equal(b.principalArn, `arn:aws:iam::${TEST_ACCOUNT}:user/nobody`);
    assert.equal(b.detail.denials, BURST);
    assert.equal(bodies("/slack", "AccessDeniedBurst").length, 1);
  });

  test("EmergencyRotation from the management API, with a supplied value that never shows", async () => {
    const supplied = `${MARKER}-emergency`;
    values.add(supplied);
    const out = (await api("POST", `/v1/secrets/${encodeURIComponent("/notify/app/db")}/emergency-rotation`, { value: supplied, reason: "leaked in a CI log" })) as { version_id: string };
    await rotationsDone();
    const [got] = bodies("/ops", "EmergencyRotation");
    assert.ok(got && verify(OPS_SECRET, got));
    const b = JSON.parse(got.body) as { secretName: string; versionId: string; principalArn: string; detail: Record<string, unknown> };
    assert.equal(b.secretName, "/notify/app/db");
    assert.equal(b.versionId, out.version_id);
    assert.equal(b.principalArn, `arn:aws:iam::${TEST_ACCOUNT}:user/admin`);
    assert.equal(b.detail.generated, false);
    assert.equal(b.detail.reason, "leaked in a CI log");
  });

  test("no secret value in notification bodies, log lines or /metrics; names hashed in logs", async () => {
    const metrics = await (await fetch(`${app.endpoint}/metrics`)).text();
    assert.ok(received.length >= 6);
    assert.ok(logLines.length > 10);
    for (const v of values) {
      for (const r of received) assert.ok(!r.body.includes(v), `a value leaked into a ${r.path} body`);
      for (const l of logLines) assert.ok(!l.includes(v), `a value leaked into a log line: ${l}`);
      assert.ok(!metrics.includes(v), "a value leaked into /metrics");
    }
    // Request lines carry request ids; with log.hashSecretNames names and ARNs appear hashed only.
    const requests = logLines.map((l) => JSON.parse(l) as Record<string, unknown>).filter((l) => l.msg === "request");
    assert.ok(requests.length > 5 && requests.every((l) => typeof l.requestId === "string"));
    const hashed = hashName(logHashKey(dataDir), "/notify/app/db");
    assert.ok(requests.some((l) => l.secretName === hashed), "the name's keyed hash is logged");
    for (const l of logLines) assert.ok(!l.includes("/notify/app/"), `a secret name in a log line: ${l}`);
    assert.ok(logLines.some((l) => l.includes('"msg":"rotation succeeded"')));
  });
});

describe("RotationOverdue", () => {
  test("a secret past the end of its rotation window is reported once per window; the gauges count it", async () => {
    let now = Date.parse("2026-03-01T10:00:00Z");
    const s = await startTestServer({ clock: () => now, config: { notifications: { webhooks: [{ name: "ops", url: `${recvUrl}/overdue`, secret: OPS_SECRET, events: ["RotationOverdue"] }] } } });
    try {
      const c = smClientAt(s.endpoint, () => now);
      await c.send(new CreateSecretCommand({ Name: "/notify/overdue", SecretString: MARKER }));
      // A rotation now; the next one is due in 30 days.
      await c.send(new RotateSecretCommand({ SecretId: "/notify/overdue", RotationLambdaARN: RANDOM, RotationRules: { AutomaticallyAfterDays: 30 } }));
      while (s.app.deps.rotation.active > 0) await new Promise((r) => setTimeout(r, 20));
      assert.deepEqual(await s.app.watchRotationsNow(), { scheduled: 1, due: 0, overdue: 0 });
      now += 30 * 86_400_000 + 3_600_000; // inside the window (2026-03-31, all day UTC): due, not overdue
      assert.deepEqual(await s.app.watchRotationsNow(), { scheduled: 1, due: 1, overdue: 0 });
      await s.app.notifier.idle();
      assert.equal(received.filter((r) => r.path === "/overdue").length, 0);
      now += 86_400_000; // the window has closed and nobody rotated (the scheduler was not run)
      assert.deepEqual(await s.app.watchRotationsNow(), { scheduled: 1, due: 1, overdue: 1 });
      await s.app.watchRotationsNow();
      await s.app.notifier.idle();
      const got = received.filter((r) => r.path === "/overdue");
      assert.equal(got.length, 1, "reported once");
      const b = JSON.parse(got[0]!.body) as { type: string; secretName: string; detail: { windowEnd: string } };
      assert.equal(b.type, "RotationOverdue");
      assert.equal(b.secretName, "/notify/overdue");
      assert.equal(b.detail.windowEnd, "2026-04-01T00:00:00.000Z");
      assert.ok(!got[0]!.body.includes(MARKER));
    } finally {
      await s.close();
    }
  });
});
