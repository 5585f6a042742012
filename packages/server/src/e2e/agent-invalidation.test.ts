import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { CreateSecretCommand, GetSecretValueCommand, PutSecretValueCommand, RotateSecretCommand } from "@aws-sdk/client-secrets-manager";
import type { RunningAgent } from "@keyshift/agent";
import { callApi } from "../cli/api-client.js";
import { rmSync } from "node:fs";
import { TEST_ACCOUNT, TEST_KEY_ID, TEST_REGION, TEST_SECRET, startTestServer, tempDir, type TestServer } from "../testing/harness.js";
import { smClient } from "../testing/sm-client.js";
import { AGENT_TOKEN, agentGet, startFeedProxy, startTestAgent, waitFor } from "./agent-test-helpers.js";

const RANDOM = `arn:aws:lambda:${TEST_REGION}:${TEST_ACCOUNT}:function:keyshift-random-password`;
const T = { "X-Aws-Parameters-Secrets-Token": AGENT_TOKEN };
const dataDir = tempDir("agent-inv-");
let s: TestServer;
let proxy: Awaited<ReturnType<typeof startFeedProxy>>;
/** ttl_seconds = 300, through the proxy: only the feed can make it see a change in time. */
let agent: RunningAgent;

const body = async (a: RunningAgent, path: string) => JSON.parse((await agentGet(a.port, path, T)).body) as { SecretString?: string; VersionId: string };
const valueIs = (a: RunningAgent, path: string, want: string) => async () => ((await body(a, path)).SecretString === want ? true : undefined);
const sm = () => smClient(s.endpoint);

before(async () => {
  s = await startTestServer({ dataDir });
  proxy = await startFeedProxy(s.endpoint);
  await sm().send(new CreateSecretCommand({ Name: "inv/one", SecretString: "first" }));
  agent = await startTestAgent(proxy.endpoint, { ttl_seconds: 300 }, { reportIntervalMs: 60_000 });
  await waitFor("the feed to connect", 5000, async () => (agent.feedUp() ? true : undefined));
});
after(async () => {
  await agent?.close();
  await proxy?.close();
  await s?.close();
  rmSync(dataDir, { recursive: true, force: true });
});

test("PutSecretValue reaches the agent within 1 s (ttl_seconds = 300)", async () => {
  assert.equal((await body(agent, "/v1/inv/one")).SecretString, "first");
  await sm().send(new PutSecretValueCommand({ SecretId: "inv/one", SecretString: "second" }));
  await waitFor("the new value from the agent", 1000, valueIs(agent, "/v1/inv/one", "second"));
  // The other route and the previous version follow too.
  assert.equal((await body(agent, "/secretsmanager/get?secretId=inv/one&versionStage=AWSPREVIOUS")).SecretString, "first");
});

test("a RotateSecret with keyshift-random-password reaches the agent within 1 s of its new AWSCURRENT", async () => {
  const before = await body(agent, "/secretsmanager/get?secretId=inv/one");
  const token = randomUUID();
  await sm().send(new RotateSecretCommand({ SecretId: "inv/one", RotationLambdaARN: RANDOM, ClientRequestToken: token }));
  const rotated = await waitFor("the rotation to finish", 20_000, async () => {
    const v = await sm().send(new GetSecretValueCommand({ SecretId: "inv/one" }));
    return v.VersionId === token ? v.SecretString! : undefined;
  });
  await waitFor("the rotated value from the agent", 1000, valueIs(agent, "/secretsmanager/get?secretId=inv/one", rotated));
  assert.notEqual(rotated, before.SecretString);
  assert.equal((await body(agent, "/secretsmanager/get?secretId=inv/one")).VersionId, token);
});

test("the agent reports what it holds as a consumer of kind agent", async () => {
  const flags = { endpointUrl: s.endpoint };
  const env = { AWS_ACCESS_KEY_ID: TEST_KEY_ID, AWS_SECRET_ACCESS_KEY: TEST_SECRET, AWS_REGION: TEST_REGION };
  const current = (await sm().send(new GetSecretValueCommand({ SecretId: "inv/one" }))).VersionId!;
  const found = await waitFor("a report holding the current version", 3000, async () => {
    const r = (await callApi(flags, "GET", "/v1/consumers?SecretId=inv%2Fone", undefined, env)) as { Consumers: { Kind: string; Holdings: { VersionId: string; VersionStages: string[] }[] }[] };
    return r.Consumers.find((c) => c.Kind === "agent" && c.Holdings.some((h) => h.VersionId === current && h.VersionStages.includes("AWSCURRENT")));
  });
  assert.ok(found);
});

test("with the feed cut, changes are missed until it is back; then they arrive (Last-Event-ID)", async () => {
  proxy.cutFeed();
  await waitFor("the feed to go down", 3000, async () => (agent.feedUp() ? undefined : true));
  const old = (await body(agent, "/v1/inv/one")).SecretString;
  await sm().send(new PutSecretValueCommand({ SecretId: "inv/one", SecretString: "while-cut" }));
  await new Promise((r) => setTimeout(r, 1200));
  assert.equal((await body(agent, "/v1/inv/one")).SecretString, old, "without the feed, ttl_seconds = 300 keeps the cached value");
  proxy.restoreFeed();
  await waitFor("the missed change after the feed is back", 5000, valueIs(agent, "/v1/inv/one", "while-cut"));
});

test("with the feed cut, a short ttl_seconds is the fallback", async () => {
  const short = await startTestAgent(proxy.endpoint, { ttl_seconds: 2 });
  try {
    await waitFor("the feed to connect", 5000, async () => (short.feedUp() ? true : undefined));
    proxy.cutFeed();
    await waitFor("the feed to go down", 3000, async () => (short.feedUp() ? undefined : true));
    assert.equal((await body(short, "/v1/inv/one?refreshNow=true")).SecretString, "while-cut");
    await sm().send(new PutSecretValueCommand({ SecretId: "inv/one", SecretString: "after-ttl" }));
    assert.equal((await body(short, "/v1/inv/one")).SecretString, "while-cut", "cached until the TTL ends");
    await waitFor("the value after ttl_seconds", 2000 + 1000, valueIs(short, "/v1/inv/one", "after-ttl"));
  } finally {
    proxy.restoreFeed();
    await short.close();
  }
  await waitFor("the missed change after the feed is back", 5000, valueIs(agent, "/v1/inv/one", "after-ttl"));
});

test("a restarted server does not know the agent's Last-Event-ID: reset, and everything is revalidated", async () => {
  await waitFor("the feed to connect", 5000, async () => (agent.feedUp() ? true : undefined));
  assert.equal((await body(agent, "/v1/inv/one")).SecretString, "after-ttl");
  proxy.cutFeed();
  await s.close();
  s = await startTestServer({ dataDir });
  proxy.setTarget(s.endpoint);
  await sm().send(new PutSecretValueCommand({ SecretId: "inv/one", SecretString: "after-restart" }));
  assert.equal((await body(agent, "/v1/inv/one")).SecretString, "after-ttl");
  proxy.restoreFeed();
  await waitFor("the value after the reset", 5000, valueIs(agent, "/v1/inv/one", "after-restart"));
});

test("with the server down: the last good value with X-Keyshift-Stale: true for max_stale_seconds, then 502 ConnectionError", async () => {
  const a = await startTestAgent(s.endpoint, { ttl_seconds: 1, max_stale_seconds: 3 });
  try {
    const good = await agentGet(a.port, "/v1/inv/one", T);
    assert.equal(good.status, 200);
    assert.equal(good.headers["x-keyshift-stale"], undefined);
    await agent.close();
    await s.close();
    const stale = await waitFor("a stale answer", 5000, async () => {
      const r = await agentGet(a.port, "/v1/inv/one", T);
      return r.headers["x-keyshift-stale"] === "true" ? r : undefined;
    });
    assert.equal(stale.status, 200);
    assert.equal(stale.body, good.body);
    const failed = await waitFor("the error after max_stale_seconds", 1000 + 3000 + 2000, async () => {
      const r = await agentGet(a.port, "/v1/inv/one", T);
      if (r.status === 200) assert.equal(r.headers["x-keyshift-stale"], "true", "after the TTL, only stale answers");
      return r.status !== 200 ? r : undefined;
    });
    assert.equal(failed.status, 502);
    assert.match(failed.body, /^\{"__type":"ConnectionError", "message":".*"\}$/);
    // A request for something never cached gets the error at once.
    assert.equal((await agentGet(a.port, "/v1/inv/other", T)).status, 502);
  } finally {
    await a.close();
  }
});
