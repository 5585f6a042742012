/**
 * GET /metrics of a real server (in process), parsed by the strict Prometheus text parser:
 * counters follow real calls (the AWS SDK, a bad signature, an unknown key, a denied user),
 * histograms are consistent, a real rotation is counted, the rotation gauges and cache
 * counters move, no secret name (perSecretLabels off) and no value appears; access rules.
 */
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { CreateSecretCommand, GetSecretValueCommand, RotateSecretCommand } from "@aws-sdk/client-secrets-manager";
import { callApi } from "../cli/api-client.js";
import { parsePrometheusText, sampleValue, type Family } from "../metrics/prom-text-parser.js";
import { TEST_ACCOUNT, TEST_KEY_ID, TEST_REGION, TEST_SECRET, startTestServer, type TestServer } from "../testing/harness.js";
import { smClient } from "../testing/sm-client.js";

const RANDOM = `arn:aws:lambda:${TEST_REGION}:${TEST_ACCOUNT}:function:keyshift-random-password`;
const MARKER = `MARKER-${randomUUID()}`;
const NAME = `/metrics/app/${randomUUID().slice(0, 8)}`;

let server: TestServer;

async function scrape(endpoint = server.endpoint, headers: Record<string, string> = {}): Promise<{ status: number; text: string; families?: Map<string, Family> }> {
  const res = await fetch(`${endpoint}/metrics`, { headers });
  const text = await res.text();
  return { status: res.status, text, ...(res.status === 200 ? { families: parsePrometheusText(text) } : {}) };
}

describe("GET /metrics", () => {
  before(async () => {
    server = await startTestServer();
  });
  after(async () => server.close());

  test("counts real calls by operation and outcome, with authentication and authorization failures", async () => {
    const before = (await scrape()).families!;
    const sm = smClient(server.endpoint);
    await sm.send(new CreateSecretCommand({ Name: NAME, SecretString: MARKER }));
    for (let i = 0; i < 3; i++) assert.equal((await sm.send(new GetSecretValueCommand({ SecretId: NAME }))).SecretString, MARKER);
    await assert.rejects(smClient(server.endpoint, { secret: "not-the-right-secret-key-0123456789" }).send(new GetSecretValueCommand({ SecretId: NAME })), { name: "InvalidSignatureException" });
    await assert.rejects(smClient(server.endpoint, { key: "KSAKUNKNOWNKEY000001" }).send(new GetSecretValueCommand({ SecretId: NAME })), { name: "UnrecognizedClientException" });
    const admin = { AWS_ACCESS_KEY_ID: TEST_KEY_ID, AWS_SECRET_ACCESS_KEY: TEST_SECRET };
    await callApi({ endpointUrl: server.endpoint }, "POST", `/v1/iam/accounts/${TEST_ACCOUNT}/users`, { UserName: "reader-without-policy" }, admin);
    const k = (await callApi({ endpointUrl: server.endpoint }, "POST", `/v1/iam/accounts/${TEST_ACCOUNT}/users/reader-without-policy/access-keys`, undefined, admin)) as { AccessKeyId: string; SecretAccessKey: string };
    await assert.rejects(smClient(server.endpoint, { key: k.AccessKeyId, secret: k.SecretAccessKey }).send(new GetSecretValueCommand({ SecretId: NAME })), { name: "AccessDeniedException" });

    const { text, families: after } = await scrape();
    const delta = (name: string, labels: Record<string, string>) => sampleValue(after!, name, labels) - sampleValue(before, name, labels);
    assert.equal(delta("keyshift_requests_total", { api: "secretsmanager", operation: "GetSecretValue", outcome: "success" }), 3);
    assert.equal(delta("keyshift_requests_total", { api: "secretsmanager", operation: "CreateSecret", outcome: "success" }), 1);
    assert.equal(delta("keyshift_requests_total", { api: "secretsmanager", operation: "GetSecretValue", outcome: "denied" }), 1);
    assert.equal(delta("keyshift_requests_total", { api: "secretsmanager", outcome: "unauthenticated" }), 2);
    assert.equal(delta("keyshift_requests_total", { api: "management", operation: "POST /v1/iam/accounts/{account}/users", outcome: "success" }), 1);
    assert.equal(delta("keyshift_authentication_failures_total", { code: "InvalidSignatureException" }), 1);
    assert.equal(delta("keyshift_authentication_failures_total", { code: "UnrecognizedClientException" }), 1);
    assert.equal(delta("keyshift_authorization_failures_total", { operation: "GetSecretValue" }), 1);
    assert.equal(delta("keyshift_request_errors_total", { operation: "GetSecretValue", code: "AccessDeniedException" }), 1);
    assert.equal(delta("keyshift_request_duration_seconds_count", { operation: "GetSecretValue", outcome: "success" }), 3);
    assert.equal(delta("keyshift_request_duration_seconds_bucket", { operation: "GetSecretValue", outcome: "success", le: "+Inf" }), 3);
    assert.ok(sampleValue(after!, "keyshift_cache_lookups_total", { result: "hit" }) > 0, "GetSecretValue was served from the cache");

    // Every family has HELP and TYPE (the parser insists); ours are documented and named keyshift_*.
    for (const [name, f] of after!) if (name.startsWith("keyshift_")) assert.ok(f.help.length > 10, `${name} has a HELP text`);
    assert.equal(after!.get("keyshift_request_duration_seconds")?.type, "histogram");
    assert.equal(after!.get("keyshift_requests_total")?.type, "counter");
    assert.ok(after!.has("process_cpu_user_seconds_total"), "process metrics");
    assert.ok(!text.includes(MARKER), "no value in /metrics");
    assert.ok(!text.includes(NAME), "no secret name without perSecretLabels");
  });

  test("a real rotation is counted with its duration; the rotation gauges follow the store", async () => {
    const before = (await scrape()).families!;
    await smClient(server.endpoint).send(new RotateSecretCommand({ SecretId: NAME, RotationLambdaARN: RANDOM, RotationRules: { AutomaticallyAfterDays: 30 } }));
    const deadline = Date.now() + 20_000;
    while (server.app.deps.rotation.active > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    const counts = await server.app.watchRotationsNow();
    assert.deepEqual(counts, { scheduled: 1, due: 0, overdue: 0 });
    const { text, families: after } = await scrape();
    assert.equal(sampleValue(after!, "keyshift_rotations_total", { method: "manual", outcome: "succeeded" }) - sampleValue(before, "keyshift_rotations_total", { method: "manual", outcome: "succeeded" }), 1);
    assert.equal(sampleValue(after!, "keyshift_rotation_duration_seconds_count", { outcome: "succeeded" }), 1);
    assert.equal(sampleValue(after!, "keyshift_secrets_rotation_scheduled"), 1);
    assert.equal(sampleValue(after!, "keyshift_secrets_rotation_overdue"), 0);
    const rotated = (await smClient(server.endpoint).send(new GetSecretValueCommand({ SecretId: NAME }))).SecretString!;
    assert.notEqual(rotated, MARKER);
    assert.ok(!text.includes(rotated) && !text.includes(MARKER));
  });
});

describe("GET /metrics configuration", () => {
  test("perSecretLabels adds the secret name; a bearer token is required when configured; off means no endpoint", async () => {
    const token = `metrics-token-${randomUUID()}`;
    const s = await startTestServer({ config: { metrics: { perSecretLabels: true, access: "token", bearerToken: token, processMetrics: false } } });
    try {
      await smClient(s.endpoint).send(new CreateSecretCommand({ Name: "labelled/one", SecretString: MARKER }));
      await smClient(s.endpoint).send(new GetSecretValueCommand({ SecretId: "labelled/one" }));
      assert.equal((await scrape(s.endpoint)).status, 401);
      assert.equal((await scrape(s.endpoint, { authorization: "Bearer nope" })).status, 401);
      const ok = await scrape(s.endpoint, { authorization: `Bearer ${token}` });
      assert.equal(ok.status, 200);
      assert.equal(sampleValue(ok.families!, "keyshift_secret_requests_total", { operation: "GetSecretValue", secret: "labelled/one" }), 1);
      assert.ok(!ok.text.includes(MARKER));
      assert.ok(!ok.families!.has("process_cpu_user_seconds_total"));
    } finally {
      await s.close();
    }
    const off = await startTestServer({ config: { metrics: { enabled: false } } });
    try {
      const r = await fetch(`${off.endpoint}/metrics`);
      assert.notEqual(r.status, 200);
      await r.text();
    } finally {
      await off.close();
    }
  });
});
