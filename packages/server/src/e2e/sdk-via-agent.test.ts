/**
 * The SDK reading through the real Keyshift agent (AWS Secrets Manager Agent protocol) in front
 * of a real server: values, binary values, stages, errors and refresh after a change.
 */
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { CreateSecretCommand, PutSecretValueCommand } from "@aws-sdk/client-secrets-manager";
import type { RunningAgent } from "@keyshift/agent";
import { KeyshiftClient, SecretsError } from "@keyshift/sdk";
import { startTestServer, type TestServer } from "../testing/harness.js";
import { smClient } from "../testing/sm-client.js";
import { AGENT_TOKEN, startTestAgent } from "./agent-test-helpers.js";

let server: TestServer;
let agent: RunningAgent;
let client: KeyshiftClient;

before(async () => {
  server = await startTestServer();
  agent = await startTestAgent(server.endpoint, { ttl_seconds: 300 });
  client = new KeyshiftClient({ agent: { url: `http://127.0.0.1:${agent.port}`, token: AGENT_TOKEN }, ttlSeconds: 0, retry: { maxAttempts: 1 } });
});
after(async () => {
  await client?.close();
  await agent?.close();
  await server?.close();
});

test("KeyshiftClient through the agent: strings, JSON, binary, stages and AWS errors", async () => {
  const sm = smClient(server.endpoint);
  const created = await sm.send(new CreateSecretCommand({ Name: "via-agent/db", SecretString: JSON.stringify({ username: "app", password: "first" }) }));
  await sm.send(new CreateSecretCommand({ Name: "via-agent/bin", SecretBinary: Buffer.from([0, 1, 2, 250]) }));

  const v = await client.getSecretValue("via-agent/db");
  assert.equal(v.ARN, created.ARN);
  assert.deepEqual(v.VersionStages, ["AWSCURRENT"]);
  assert.ok(v.CreatedDate instanceof Date && !Number.isNaN(v.CreatedDate.getTime()));
  assert.deepEqual(await client.getSecretJson("via-agent/db"), { username: "app", password: "first" });
  assert.deepEqual([...(await client.getSecretValue("via-agent/bin")).SecretBinary!], [0, 1, 2, 250]);

  await sm.send(new PutSecretValueCommand({ SecretId: "via-agent/db", SecretString: JSON.stringify({ username: "app", password: "second" }) }));
  // The agent learns of the change from the feed; refresh asks it to bypass its cache anyway.
  assert.deepEqual(await client.getSecretJson("via-agent/db", { refresh: true }), { username: "app", password: "second" });
  assert.deepEqual(await client.getSecretJson("via-agent/db", { versionStage: "AWSPREVIOUS" }), { username: "app", password: "first" });

  await assert.rejects(client.getSecretValue("via-agent/missing"), (e: unknown) => e instanceof SecretsError && e.code === "ResourceNotFoundException" && !e.retryable);
});
