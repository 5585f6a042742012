import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { KeyshiftClient, SecretsError } from "./index.js";
import { FakeSecretsServer } from "./testing/fake-secrets-server.js";

const TOKEN = "agent-token-0123456789";
const agent = new FakeSecretsServer({ agentToken: TOKEN });
let url = "";

before(async () => {
  url = await agent.start();
  agent.put("db", "v-one");
  agent.put("db", "v-two");
});
after(() => agent.close());

test("the agent protocol: GET /secretsmanager/get with the token header; CreatedDate as a string", async () => {
  const c = new KeyshiftClient({ agent: { url, token: TOKEN } });
  const v = await c.getSecretValue("db");
  assert.equal(v.SecretString, "v-two");
  assert.equal(v.VersionId, "v2");
  assert.equal(v.CreatedDate?.toISOString(), "2026-11-23T01:02:03.000Z");
  assert.equal(await c.getSecretString("db", { versionStage: "AWSPREVIOUS" }), "v-one");
  assert.equal(await c.getSecretString("db", { versionId: "v1" }), "v-one");
  const before = agent.gets;
  await c.getSecretValue("db");
  assert.equal(agent.gets, before, "cached in the client too");
  await c.getSecretValue("db", { refresh: true });
  assert.equal(agent.gets, before + 1);
  const h = agent.seenHeaders.at(-1)!;
  assert.equal(h["x-aws-parameters-secrets-token"], TOKEN);
  assert.equal(h.authorization, undefined, "no SigV4 towards an agent");
  await c.close();
});

test("the agent protocol: refresh asks the agent to bypass its cache (refreshNow=true)", async () => {
  const seen: string[] = [];
  const c = new KeyshiftClient({ agent: url, fetch: async (input, init) => { seen.push(String(input)); return fetch(input, init); } });
  process.env.AWS_TOKEN = TOKEN;
  try {
    await c.getSecretValue("db", { refresh: true });
  } finally {
    delete process.env.AWS_TOKEN;
  }
  const q = new URL(seen[0]!).searchParams;
  assert.equal(q.get("secretId"), "db");
  assert.equal(q.get("versionStage"), "AWSCURRENT");
  assert.equal(q.get("refreshNow"), "true");
  await c.close();
});

test("the agent protocol: a wrong token is an error with the agent's code, not retried", async () => {
  const c = new KeyshiftClient({ agent: { url, token: "wrong" }, retry: { maxAttempts: 4, baseDelayMs: 1 } });
  const n = agent.gets;
  await assert.rejects(c.getSecretValue("db"), (e: unknown) => e instanceof SecretsError && e.status === 401 && e.code === "UnrecognizedClientException" && !e.retryable);
  assert.equal(agent.gets, n, "rejected before counting");
  await assert.rejects(c.getSecretValue("missing-one"), (e: unknown) => e instanceof SecretsError);
  await c.close();
});

test("the agent protocol: no token anywhere is a ConfigurationError", async () => {
  const saved = { t: process.env.AWS_TOKEN, s: process.env.AWS_SESSION_TOKEN };
  delete process.env.AWS_TOKEN;
  delete process.env.AWS_SESSION_TOKEN;
  try {
    const c = new KeyshiftClient({ agent: url });
    await assert.rejects(c.getSecretValue("db"), (e: unknown) => e instanceof SecretsError && e.code === "ConfigurationError");
    await c.close();
  } finally {
    if (saved.t !== undefined) process.env.AWS_TOKEN = saved.t;
    if (saved.s !== undefined) process.env.AWS_SESSION_TOKEN = saved.s;
  }
});
