import { test } from "node:test";
import assert from "node:assert/strict";
import { randomBytes, randomUUID } from "node:crypto";
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { CreateSecretCommand, PutSecretValueCommand, GetSecretValueCommand, UpdateSecretCommand } from "@aws-sdk/client-secrets-manager";
import { startTestServer, tempDir } from "../testing/harness.js";
import { smClient } from "../testing/sm-client.js";

function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((n) => {
    const p = join(dir, n);
    return statSync(p).isDirectory() ? filesUnder(p) : [p];
  });
}

function scan(dir: string, needles: Buffer[]): string[] {
  const hits: string[] = [];
  for (const f of filesUnder(dir)) {
    const data = readFileSync(f);
    for (const n of needles) if (data.includes(n)) hits.push(`${f} contains ${n.toString("latin1").slice(0, 24)}...`);
  }
  return hits;
}

test("no secret value is ever written to the data directory in plaintext (WAL included)", async () => {
  const dataDir = tempDir();
  const s = await startTestServer({ dataDir });
  const c = smClient(s.endpoint);
  const marker = `MARKER-${randomUUID()}`;
  const binary = Buffer.concat([Buffer.from(`BINMARK-${randomUUID()}`), randomBytes(64)]);
  const big = `${marker}-big-`.repeat(3000).slice(0, 60_000);
  await c.send(new CreateSecretCommand({ Name: "at-rest/string", SecretString: `${marker}-v1` }));
  await c.send(new PutSecretValueCommand({ SecretId: "at-rest/string", SecretString: JSON.stringify({ password: `${marker}-json` }) }));
  await c.send(new UpdateSecretCommand({ SecretId: "at-rest/string", SecretString: big }));
  await c.send(new CreateSecretCommand({ Name: "at-rest/binary", SecretBinary: binary }));
  assert.equal((await c.send(new GetSecretValueCommand({ SecretId: "at-rest/string" }))).SecretString, big);
  const needles = [Buffer.from(marker), binary.subarray(0, 40), Buffer.from(binary.toString("base64").slice(0, 40))];

  const whileRunning = scan(dataDir, needles);
  await s.close();
  const afterClose = scan(dataDir, needles);
  assert.deepEqual(whileRunning, []);
  assert.deepEqual(afterClose, []);
  // The scan itself must be able to fail: the marker is findable when it is on disk.
  assert.ok(filesUnder(dataDir).some((f) => f.endsWith("keyshift.db")));
  const control = join(tempDir(), "control");
  const { writeFileSync } = await import("node:fs");
  writeFileSync(control, `x${marker}x`);
  assert.equal(scan(join(control, ".."), needles).length, 1);
});

test("every file in the data directory is private (0600, directory 0700)", async () => {
  const dataDir = join(tempDir(), "fresh");
  const old = process.umask(0o022);
  try {
    const s = await startTestServer({ dataDir });
    await smClient(s.endpoint).send(new CreateSecretCommand({ Name: "perm", SecretString: "x" }));
    await s.close();
  } finally {
    process.umask(old);
  }
  assert.equal(statSync(dataDir).mode & 0o777, 0o700);
  for (const f of filesUnder(dataDir)) assert.equal(statSync(f).mode & 0o777, 0o600, f);
});
