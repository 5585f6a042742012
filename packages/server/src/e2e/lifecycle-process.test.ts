import { test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { request } from "node:http";
import { existsSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { SignatureV4 } from "@smithy/signature-v4";
import { Sha256 } from "@aws-crypto/sha256-js";
import { CreateSecretCommand, GetSecretValueCommand, PutSecretValueCommand } from "@aws-sdk/client-secrets-manager";
import { CLI, TEST_KEY_ID, TEST_SECRET, spawnServer, tempDir } from "../testing/harness.js";
import { smClient } from "../testing/sm-client.js";

test("SIGTERM lets an in-flight request finish, then exits 0 with the store closed", async () => {
  const dataDir = tempDir();
  const srv = await spawnServer(dataDir);
  const url = new URL(srv.endpoint);
  const body = JSON.stringify({ Name: "inflight", SecretString: "v", ClientRequestToken: "0123456789abcdef0123456789abcdef" });
  const signer = new SignatureV4({ service: "secretsmanager", region: "us-east-1", credentials: { accessKeyId: TEST_KEY_ID, secretAccessKey: TEST_SECRET }, sha256: Sha256 });
  const signed = await signer.sign({
    method: "POST", protocol: "http:", hostname: url.hostname, port: Number(url.port), path: "/",
    headers: { host: url.host, "content-type": "application/x-amz-json-1.1", "x-amz-target": "secretsmanager.CreateSecret", "content-length": String(body.length) },
    body,
  });
  const answer = new Promise<{ status: number; body: string }>((resolve, reject) => {
    const req = request({ host: url.hostname, port: url.port, method: "POST", path: "/", headers: signed.headers }, (res) => {
      let b = "";
      res.on("data", (d: Buffer) => (b += d.toString()));
      res.on("end", () => resolve({ status: res.statusCode!, body: b }));
    });
    req.on("error", reject);
    req.write(body.slice(0, 10));
    setTimeout(() => {
      srv.child.kill("SIGTERM");
      setTimeout(() => req.end(body.slice(10)), 300);
    }, 200);
  });
  const r = await answer;
  assert.equal(r.status, 200, r.body);
  const code = await new Promise<number | null>((resolve) => (srv.child.exitCode !== null ? resolve(srv.child.exitCode) : srv.child.once("exit", resolve)));
  assert.equal(code, 0);
  assert.equal(existsSync(join(dataDir, "keyshift.db-wal")), false, "a clean close checkpoints and removes the WAL");
  const again = await spawnServer(dataDir);
  assert.equal((await smClient(again.endpoint).send(new GetSecretValueCommand({ SecretId: "inflight" }))).SecretString, "v");
  await again.stop();
});

test("first start without bootstrap variables writes a 0600 credentials file the aws CLI can use", async () => {
  const dataDir = tempDir();
  const srv = await spawnServer(dataDir, 0, { KEYSHIFT_ACCOUNT_ID: "", KEYSHIFT_BOOTSTRAP_ACCESS_KEY_ID: "", KEYSHIFT_BOOTSTRAP_SECRET_ACCESS_KEY: "" });
  try {
    const creds = join(dataDir, "credentials");
    assert.equal(statSync(creds).mode & 0o777, 0o600);
    assert.equal(statSync(join(dataDir, "master.key")).mode & 0o777, 0o600);
    const text = readFileSync(creds, "utf8");
    const secret = /aws_secret_access_key = (\S+)/.exec(text)![1]!;
    assert.ok(!srv.output().includes(secret), "the secret key is never printed");
    assert.match(srv.output(), /Credentials: .*credentials/);
    const out = execFileSync("aws", ["--endpoint-url", srv.endpoint, "secretsmanager", "list-secrets", "--region", "us-east-1", "--output", "json"], {
      env: { PATH: process.env.PATH, HOME: process.env.HOME, AWS_SHARED_CREDENTIALS_FILE: creds, AWS_CONFIG_FILE: "/dev/null", AWS_EC2_METADATA_DISABLED: "true" },
    }).toString();
    assert.deepEqual(JSON.parse(out), { SecretList: [] });
  } finally {
    await srv.stop();
  }
});

test("access-keys create/list/delete work on the data dir while the server runs", async () => {
  const dataDir = tempDir();
  const srv = await spawnServer(dataDir);
  try {
    const cli = (...args: string[]) => execFileSync(process.execPath, [CLI, ...args, "--data-dir", dataDir], { env: { ...process.env, KEYSHIFT_LOG_LEVEL: "silent" } }).toString();
    const k = JSON.parse(cli("access-keys", "create", "--user", "ci", "--admin")) as { AccessKeyId: string; SecretAccessKey: string };
    assert.match(k.AccessKeyId, /^KSAK[A-Z2-7]{16}$/);
    const listed = cli("access-keys", "list");
    assert.ok(listed.includes(k.AccessKeyId) && !listed.includes(k.SecretAccessKey));
    const c = smClient(srv.endpoint, { key: k.AccessKeyId, secret: k.SecretAccessKey });
    await c.send(new CreateSecretCommand({ Name: "by-new-key", SecretString: "x" }));
    // A user created without --admin has no permissions until a policy grants some.
    const plain = JSON.parse(cli("access-keys", "create", "--user", "plain")) as { AccessKeyId: string; SecretAccessKey: string };
    await assert.rejects(smClient(srv.endpoint, { key: plain.AccessKeyId, secret: plain.SecretAccessKey }).send(new CreateSecretCommand({ Name: "by-plain", SecretString: "x" })), (e: Error) => e.name === "AccessDeniedException");
    cli("access-keys", "delete", k.AccessKeyId);
    await new Promise((r) => setTimeout(r, 1200)); // the key cache holds answers for 1 s
    await assert.rejects(c.send(new CreateSecretCommand({ Name: "after-delete", SecretString: "x" })), (e: Error) => e.name === "UnrecognizedClientException");
  } finally {
    await srv.stop();
  }
});

test("master-key rotate re-wraps every data key online; old keys are dropped; everything still decrypts", async () => {
  const dataDir = tempDir();
  const srv = await spawnServer(dataDir);
  try {
    const c = smClient(srv.endpoint);
    for (let i = 0; i < 30; i++) await c.send(new CreateSecretCommand({ Name: `mk/${i}`, SecretString: `value-${i}` }));
    const before = JSON.parse(readFileSync(join(dataDir, "master.key"), "utf8")) as { active: string };
    let stop = false;
    let writes = 0;
    const writer = (async () => {
      while (!stop) {
        await c.send(new PutSecretValueCommand({ SecretId: `mk/${writes % 30}`, SecretString: `value-${writes % 30}` }));
        writes++;
      }
    })();
    const out = JSON.parse(execFileSync(process.execPath, [CLI, "master-key", "rotate", "--data-dir", dataDir]).toString()) as { activeKeyId: string; rewrapped: number; retiredKeyIds: string[] };
    stop = true;
    await writer;
    assert.notEqual(out.activeKeyId, before.active);
    assert.deepEqual(out.retiredKeyIds, [before.active]);
    assert.ok(out.rewrapped >= 31, `rewrapped ${out.rewrapped}`);
    const ring = JSON.parse(readFileSync(join(dataDir, "master.key"), "utf8")) as { active: string; keys: { id: string }[] };
    assert.deepEqual(ring.keys.map((k) => k.id), [out.activeKeyId]);
    for (let i = 0; i < 30; i++) assert.equal((await c.send(new GetSecretValueCommand({ SecretId: `mk/${i}` }))).SecretString, `value-${i}`);
    assert.ok(writes > 0);
  } finally {
    await srv.stop();
  }
  const again = await spawnServer(dataDir);
  assert.equal((await smClient(again.endpoint).send(new GetSecretValueCommand({ SecretId: "mk/7" }))).SecretString, "value-7");
  await again.stop();
});
