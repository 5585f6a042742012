/**
 * @keyshift/sdk's KeyshiftClient against moto (`python3 -m moto.server`), an AWS Secrets Manager
 * that is not Keyshift: reads work, and without /v1/changes the client degrades to its TTL
 * quietly (no error surfaces, no consumer reports, watch polls).
 */
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { spawn, type ChildProcess } from "node:child_process";
import { createServer } from "node:net";
import { setTimeout as sleep } from "node:timers/promises";
import { CreateSecretCommand, PutSecretValueCommand } from "@aws-sdk/client-secrets-manager";
import { KeyshiftClient, SecretsError, type SecretValue } from "@keyshift/sdk";
import { hasPythonModule, requireDependency } from "../testing/harness.js";
import { smClient } from "../testing/sm-client.js";

const credentials = { accessKeyId: "testing", secretAccessKey: "testing" };

async function freePort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((r) => srv.listen(0, "127.0.0.1", r));
  const port = (srv.address() as { port: number }).port;
  await new Promise((r) => srv.close(r));
  return port;
}

describe("KeyshiftClient against moto", { concurrency: false }, () => {
  const available = hasPythonModule("moto.server");
  let moto: ChildProcess | undefined;
  let endpoint = "";
  const requests: string[] = [];
  const recordingFetch: typeof fetch = (input, init) => {
    requests.push(`${init?.method ?? "GET"} ${new URL(String(input)).pathname}`);
    return fetch(input, init);
  };

  before(async () => {
    if (!available) return;
    const port = await freePort();
    endpoint = `http://127.0.0.1:${port}`;
    moto = spawn("python3", ["-m", "moto.server", "-H", "127.0.0.1", "-p", String(port)], { stdio: "ignore" });
    for (let i = 0; i < 200; i++) {
      try {
        await fetch(`${endpoint}/moto-api/`);
        return;
      } catch {
        await sleep(100);
      }
    }
    throw new Error("moto did not start");
  });
  after(() => {
    moto?.kill("SIGTERM");
  });

  test("reads, caches, passes AWS errors through, and degrades to the TTL without a change feed", async (t) => {
    if (!requireDependency(t, "python3 moto (pip install 'moto[server]')", available)) return;
    const sm = smClient(endpoint, { key: credentials.accessKeyId, secret: credentials.secretAccessKey });
    const created = await sm.send(new CreateSecretCommand({ Name: "sdk/moto", SecretString: '{"k":"v1"}' }));
    const errors: Error[] = [];
    const c = new KeyshiftClient({ endpoint, region: "us-east-1", credentials, ttlSeconds: 1, fetch: recordingFetch, onError: (e) => errors.push(e) });
    try {
      const v = await c.getSecretValue("sdk/moto");
      assert.equal(v.ARN, created.ARN);
      assert.equal(v.VersionId, created.VersionId);
      assert.deepEqual(await c.getSecretJson("sdk/moto"), { k: "v1" });
      assert.ok(v.CreatedDate instanceof Date);
      await assert.rejects(c.getSecretValue("sdk/missing"), (e: unknown) => e instanceof SecretsError && e.code === "ResourceNotFoundException");

      const seen: SecretValue[] = [];
      const w = c.watch("sdk/moto", (x) => seen.push(x));
      await w.ready;
      assert.equal(c.changeFeedConnected, false);
      const put = await sm.send(new PutSecretValueCommand({ SecretId: "sdk/moto", SecretString: '{"k":"v2"}' }));
      for (let i = 0; i < 100 && seen.length === 0; i++) await sleep(100);
      w.close();
      assert.equal(seen[0]?.VersionId, put.VersionId, "watch polled and saw the new version");
      assert.deepEqual(await c.getSecretJson("sdk/moto"), { k: "v2" });
      assert.deepEqual(errors, [], "nothing went wrong that the application should hear about");
      assert.equal(requests.filter((r) => r.includes("/v1/")).length, 0, "no consumer reports to a server without them");
    } finally {
      await c.close();
    }
  });
});
