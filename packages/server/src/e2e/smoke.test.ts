import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { CreateSecretCommand, GetSecretValueCommand } from "@aws-sdk/client-secrets-manager";
import { startTestServer, type TestServer } from "../testing/harness.js";
import { smClient } from "../testing/sm-client.js";

let s: TestServer;
before(async () => {
  s = await startTestServer();
});
after(async () => s.close());

test("the AWS SDK v3 creates and reads a secret", async () => {
  const c = smClient(s.endpoint);
  const created = await c.send(new CreateSecretCommand({ Name: "smoke", SecretString: "v1" }));
  assert.match(created.ARN!, /^arn:aws:secretsmanager:us-east-1:111122223333:secret:smoke-[A-Za-z0-9]{6}$/);
  const got = await c.send(new GetSecretValueCommand({ SecretId: "smoke" }));
  assert.equal(got.SecretString, "v1");
  assert.deepEqual(got.VersionStages, ["AWSCURRENT"]);
  assert.ok(got.CreatedDate instanceof Date);
});
