/**
 * Secrets stay secret: a server with every output switched on (debug logs, the audit trail in the
 * store, a file and an HTTP collector, metrics with per-secret labels, webhooks for every event)
 * serves a broad workload whose values all carry one marker: the 23 operations, bad input that
 * echoes the value back at the server, rotations (normal, failed and emergency), the agent and
 * the SDK. Then every output is scanned: the marker appears in none of them.
 */
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { randomUUID } from "node:crypto";
import { mkdirSync, readdirSync, readFileSync, rmSync, statSync } from "node:fs";
import { join } from "node:path";
import { Writable } from "node:stream";
import {
  BatchGetSecretValueCommand, CreateSecretCommand, DeleteSecretCommand, DescribeSecretCommand, GetSecretValueCommand, ListSecretVersionIdsCommand, ListSecretsCommand,
  PutResourcePolicyCommand, PutSecretValueCommand, RotateSecretCommand, TagResourceCommand, UpdateSecretCommand, UpdateSecretVersionStageCommand, ValidateResourcePolicyCommand,
  type SecretsManagerClient,
} from "@aws-sdk/client-secrets-manager";
import { KeyshiftClient } from "@keyshift/sdk";
import { signRequest } from "@keyshift/protocol";
import { startApp, type App } from "../app.js";
import { callApi } from "../cli/api-client.js";
import { loadConfig } from "../config/load.js";
import { TEST_ACCOUNT, TEST_KEY_ID, TEST_REGION, TEST_SECRET, tempDir } from "../testing/harness.js";
import { smClient } from "../testing/sm-client.js";
import { AGENT_TOKEN, agentGet, startTestAgent } from "./agent-test-helpers.js";

const MARKER = `LEAKMARK${randomUUID().replace(/-/g, "")}`;
const value = (i: number | string) => `${MARKER}-${i}`;
const RANDOM = `arn:aws:lambda:${TEST_REGION}:${TEST_ACCOUNT}:function:keyshift-random-password`;
const env = { AWS_ACCESS_KEY_ID: TEST_KEY_ID, AWS_SECRET_ACCESS_KEY: TEST_SECRET, AWS_REGION: TEST_REGION };

let dataDir: string;
let app: App;
let sm: SecretsManagerClient;
let receiver: Server;
const received: string[] = [];
const logLines: string[] = [];

before(async () => {
  receiver = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      received.push(`${req.url} ${JSON.stringify(req.headers)} ${Buffer.concat(chunks).toString("utf8")}`);
      res.end("ok");
    });
  });
  await new Promise<void>((r) => receiver.listen(0, "127.0.0.1", r));
  const recv = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}`;
  dataDir = tempDir("keyshift-leak-");
  mkdirSync(join(dataDir, "audit-file"), { mode: 0o700 });
  const config = loadConfig({
    env: { KEYSHIFT_ACCOUNT_ID: TEST_ACCOUNT, KEYSHIFT_BOOTSTRAP_ACCESS_KEY_ID: TEST_KEY_ID, KEYSHIFT_BOOTSTRAP_SECRET_ACCESS_KEY: TEST_SECRET },
    flags: { dataDir, port: 0, host: "127.0.0.1" },
    overrides: {
      log: { level: "trace" },
      rotation: { schedulerIntervalSeconds: 3600 },
      audit: { file: { path: join(dataDir, "audit-file", "audit.jsonl") }, http: { url: `${recv}/audit`, flushSeconds: 0.05 } },
      metrics: { perSecretLabels: true },
      notifications: { retryBaseSeconds: 0.05, accessDeniedBurst: { threshold: 2, windowSeconds: 60 }, webhooks: [{ name: "all", url: `${recv}/hook`, secret: "webhook-secret-0123456789" }, { name: "chat", url: `${recv}/slack`, kind: "slack" }] },
    },
  });
  const sink = new Writable({
    write(chunk: Buffer, _e, cb) {
      logLines.push(chunk.toString());
      cb();
    },
  });
  app = await startApp(config, { logDestination: sink });
  sm = smClient(app.endpoint);
});

after(async () => {
  sm?.destroy();
  await app?.close(1000);
  await new Promise<void>((r) => receiver.close(() => r()));
  rmSync(dataDir, { recursive: true, force: true });
});

/** A raw signed call (bad input the SDK would refuse to send). */
async function raw(target: string, body: string): Promise<number> {
  const url = new URL(app.endpoint);
  const headers = signRequest(
    { method: "POST", host: url.host, path: "/", headers: { "content-type": "application/x-amz-json-1.1", "x-amz-target": `secretsmanager.${target}` }, body, region: TEST_REGION, service: "secretsmanager" },
    { accessKeyId: TEST_KEY_ID, secretAccessKey: TEST_SECRET },
  );
  delete headers.host;
  const res = await fetch(app.endpoint, { method: "POST", headers, body });
  const text = await res.text();
  assert.ok(!text.includes(MARKER), `${target}: the answer to bad input echoes the value: ${text.slice(0, 200)}`);
  return res.status;
}

test("no secret value reaches a log line, an audit record, a metric or a notification", { timeout: 180_000 }, async () => {
  // The operations, with values carrying the marker.
  const a = await sm.send(new CreateSecretCommand({ Name: "/leak/app/db", SecretString: value("create"), Tags: [{ Key: "team", Value: "leak" }] }));
  await sm.send(new CreateSecretCommand({ Name: "/leak/app/bin", SecretBinary: Buffer.from(value("binary")) }));
  await sm.send(new PutSecretValueCommand({ SecretId: a.ARN, SecretString: value("put"), VersionStages: ["AWSCURRENT"] }));
  await sm.send(new PutSecretValueCommand({ SecretId: a.ARN, SecretString: value("staged"), VersionStages: ["STAGED"] }));
  await sm.send(new UpdateSecretCommand({ SecretId: a.ARN, SecretString: value("update") }));
  for (const id of [a.ARN!, "/leak/app/bin"]) await sm.send(new GetSecretValueCommand({ SecretId: id }));
  await sm.send(new GetSecretValueCommand({ SecretId: a.ARN, VersionStage: "AWSPREVIOUS" }));
  await sm.send(new BatchGetSecretValueCommand({ SecretIdList: [a.ARN!, "/leak/app/bin", "/leak/missing"] }));
  await sm.send(new DescribeSecretCommand({ SecretId: a.ARN }));
  await sm.send(new ListSecretsCommand({}));
  await sm.send(new ListSecretVersionIdsCommand({ SecretId: a.ARN }));
  await sm.send(new UpdateSecretVersionStageCommand({ SecretId: a.ARN, VersionStage: "STAGED", RemoveFromVersionId: (await sm.send(new DescribeSecretCommand({ SecretId: a.ARN }))).VersionIdsToStages && Object.entries((await sm.send(new DescribeSecretCommand({ SecretId: a.ARN }))).VersionIdsToStages!).find(([, s]) => s.includes("STAGED"))![0] }));
  await sm.send(new TagResourceCommand({ SecretId: a.ARN, Tags: [{ Key: "k", Value: "v" }] }));
  await sm.send(new ValidateResourcePolicyCommand({ ResourcePolicy: JSON.stringify({ Version: "2012-10-17", Statement: [{ Effect: "Allow", Principal: "*", Action: "secretsmanager:GetSecretValue", Resource: "*" }] }) }));
  await assert.rejects(sm.send(new PutResourcePolicyCommand({ SecretId: a.ARN, ResourcePolicy: JSON.stringify({ Version: "2012-10-17", Statement: [{ Effect: "Allow", Principal: "*", Action: "*", Resource: "*" }] }), BlockPublicPolicy: true })));

  // Bad input carrying the value: malformed JSON, an oversized value, a value on a deleted secret, a conflicting token.
  assert.equal(await raw("PutSecretValue", `{"SecretId":"/leak/app/db","SecretString":"${value("malformed")}"`), 400);
  assert.equal(await raw("PutSecretValue", JSON.stringify({ SecretId: "/leak/app/db", SecretString: value("big").padEnd(70_000, "x"), ClientRequestToken: randomUUID() })), 400);
  assert.equal(await raw("CreateSecret", JSON.stringify({ Name: "bad name with spaces", SecretString: value("badname"), ClientRequestToken: randomUUID() })), 400);
  assert.equal(await raw("PutSecretValue", JSON.stringify({ SecretId: "/leak/app/db", SecretString: value("both"), SecretBinary: "AAAA", ClientRequestToken: randomUUID() })), 400);
  const token = randomUUID();
  await sm.send(new PutSecretValueCommand({ SecretId: a.ARN, SecretString: value("token-1"), ClientRequestToken: token }));
  await assert.rejects(sm.send(new PutSecretValueCommand({ SecretId: a.ARN, SecretString: value("token-2"), ClientRequestToken: token })), { name: "ResourceExistsException" });

  // Denials (an AccessDeniedBurst), by a user with no permissions.
  await callApi({ endpointUrl: app.endpoint }, "POST", "/v1/iam/accounts/self/users", { UserName: "nobody" }, env);
  const k = (await callApi({ endpointUrl: app.endpoint }, "POST", "/v1/iam/accounts/self/users/nobody/access-keys", undefined, env)) as { AccessKeyId: string; SecretAccessKey: string };
  const nobody = smClient(app.endpoint, { key: k.AccessKeyId, secret: k.SecretAccessKey });
  for (let i = 0; i < 3; i++) await assert.rejects(nobody.send(new PutSecretValueCommand({ SecretId: a.ARN, SecretString: value(`denied-${i}`) })), { name: "AccessDeniedException" });

  // Rotations: a normal one, a failed one (a function that echoes the pending value), an emergency one with a supplied value.
  await sm.send(new RotateSecretCommand({ SecretId: a.ARN, RotationLambdaARN: RANDOM, RotationRules: { AutomaticallyAfterDays: 30 } }));
  const fn = createServer((_req, res) => {
    res.writeHead(500);
    res.end(`failed, current value is ${value("failing")}`);
  });
  await new Promise<void>((r) => fn.listen(0, "127.0.0.1", r));
  try {
    await callApi({ endpointUrl: app.endpoint }, "PUT", "/v1/rotators/echo", { Url: `http://127.0.0.1:${(fn.address() as AddressInfo).port}/` }, env);
    await sm.send(new CreateSecretCommand({ Name: "/leak/app/failing", SecretString: value("failing") }));
    await sm.send(new RotateSecretCommand({ SecretId: "/leak/app/failing", RotationLambdaARN: `arn:aws:lambda:${TEST_REGION}:${TEST_ACCOUNT}:function:echo` }));
    for (let i = 0; i < 200 && !received.some((r) => r.includes("RotationFailed")); i++) await new Promise((r) => setTimeout(r, 25));
  } finally {
    await new Promise<void>((r) => fn.close(() => r()));
  }
  await callApi({ endpointUrl: app.endpoint }, "PUT", `/v1/secrets/${encodeURIComponent("/leak/app/bin")}/rotation`, { secret_type: "token", rotation_interval_days: 30 }, env);
  await callApi({ endpointUrl: app.endpoint }, "POST", `/v1/secrets/${encodeURIComponent("/leak/app/bin")}/emergency-rotation`, { value: value("emergency"), reason: "drill" }, env);

  // The agent and the SDK.
  const agent = await startTestAgent(app.endpoint, { ttl_seconds: 300, log_level: "DEBUG" });
  try {
    const r = await agentGet(agent.port, `/secretsmanager/get?secretId=${encodeURIComponent(a.ARN!)}`, { "X-Aws-Parameters-Secrets-Token": AGENT_TOKEN });
    assert.equal(r.status, 200);
  } finally {
    await agent.close();
  }
  const client = new KeyshiftClient({ endpoint: app.endpoint, region: TEST_REGION, credentials: { accessKeyId: TEST_KEY_ID, secretAccessKey: TEST_SECRET } });
  try {
    assert.ok((await client.getSecretString(a.ARN!)).length > 0);
    assert.ok((await client.getSecretString("/leak/app/bin")).startsWith(MARKER), "the emergency value");
  } finally {
    await client.close();
  }

  await sm.send(new DeleteSecretCommand({ SecretId: "/leak/app/failing", ForceDeleteWithoutRecovery: true }));

  // Let the sinks catch up, then scan everything.
  const metrics = await (await fetch(`${app.endpoint}/metrics`)).text();
  await new Promise((r) => setTimeout(r, 500));
  await app.close(1000);
  assert.ok(logLines.length > 50, "the logs were captured");
  assert.ok(received.some((r) => r.startsWith("/audit")), "the HTTP collector received audit records");
  assert.ok(received.some((r) => r.startsWith("/hook")), "the webhook received notifications");
  assert.ok(metrics.includes("keyshift_"), "metrics were scraped");
  const scan = (what: string, text: string) => {
    const at = text.indexOf(MARKER);
    assert.ok(at < 0, `${what} contains a secret value: ...${text.slice(Math.max(0, at - 300), at + 60).replaceAll(MARKER, "<MARKER>")}`);
  };
  scan("a log line", logLines.join("\n"));
  scan("an HTTP audit batch or a notification", received.join("\n"));
  scan("/metrics", metrics);
  // The audit file sink and the audit table (raw bytes of the database: values there are sealed).
  const files: string[] = [];
  const walk = (dir: string) => {
    for (const f of readdirSync(dir)) {
      const p = join(dir, f);
      if (statSync(p).isDirectory()) walk(p);
      else files.push(p);
    }
  };
  walk(dataDir);
  assert.ok(files.some((f) => f.includes("audit-file")), "the audit file sink wrote");
  for (const f of files) scan(f, readFileSync(f).toString("latin1"));
});
