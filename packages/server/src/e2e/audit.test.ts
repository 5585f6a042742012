import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { createServer, type Server } from "node:http";
import { readFileSync, statSync } from "node:fs";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import Database from "better-sqlite3";
import {
  BatchGetSecretValueCommand, CreateSecretCommand, DescribeSecretCommand, GetSecretValueCommand, PutSecretValueCommand, type SecretsManagerClient,
} from "@aws-sdk/client-secrets-manager";
import { callApi } from "../cli/api-client.js";
import { loadAuditKey } from "../audit/chain.js";
import type { AuditCheckpoint, AuditRecord } from "../audit/records.js";
import { ChainVerifier } from "../audit/verify.js";
import { CLI, TEST_ACCOUNT, TEST_KEY_ID, TEST_REGION, TEST_SECRET, runProcess, startTestServer, tempDir, type TestServer } from "../testing/harness.js";
import { smClient } from "../testing/sm-client.js";
import { subscribeChanges } from "../testing/sse-client.js";

const adminEnv = { AWS_ACCESS_KEY_ID: TEST_KEY_ID, AWS_SECRET_ACCESS_KEY: TEST_SECRET, AWS_REGION: TEST_REGION };
const ADMIN_ARN = `arn:aws:iam::${TEST_ACCOUNT}:user/admin`;

/** A local collector for the HTTP sink: keeps every POSTed body. */
async function collector(): Promise<{ url: string; bodies: string[]; server: Server }> {
  const bodies: string[] = [];
  const server = createServer((req, res) => {
    let b = "";
    req.on("data", (d: Buffer) => (b += d.toString()));
    req.on("end", () => {
      bodies.push(b);
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/audit`, bodies, server };
}

async function until(cond: () => boolean, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error("condition not met in time");
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe("audit trail end to end (fail-closed, store + file + HTTP sinks)", () => {
  let srv: TestServer;
  let sm: SecretsManagerClient;
  let sink: Awaited<ReturnType<typeof collector>>;
  let file: string;
  const marker = `marker-${randomUUID()}`;
  const marker2 = `marker2-${randomUUID()}`;
  let reader: { AccessKeyId: string; SecretAccessKey: string };
  const api = (method: string, path: string, body?: unknown) => callApi({ endpointUrl: srv.endpoint }, method, path, body, adminEnv);

  before(async () => {
    sink = await collector();
    const dataDir = tempDir("keyshift-audit-e2e-");
    file = join(dataDir, "audit.log");
    srv = await startTestServer({ dataDir, config: { audit: { mode: "fail-closed", file: { path: file }, http: { url: sink.url, flushSeconds: 0.05 }, checkpointEvery: 5 } } });
    sm = smClient(srv.endpoint);

    await sm.send(new CreateSecretCommand({ Name: "/prod/db", SecretString: marker }));
    await sm.send(new CreateSecretCommand({ Name: "/prod/api", SecretString: JSON.stringify({ token: marker2 }) }));
    await sm.send(new GetSecretValueCommand({ SecretId: "/prod/db" }));
    await sm.send(new PutSecretValueCommand({ SecretId: "/prod/db", SecretString: `${marker}-v2` }));
    await sm.send(new DescribeSecretCommand({ SecretId: "/prod/api" }));
    await assert.rejects(sm.send(new GetSecretValueCommand({ SecretId: "/prod/missing" })), { name: "ResourceNotFoundException" });
    await assert.rejects(smClient(srv.endpoint, { secret: "wrong-secret-access-key-000000000000000" }).send(new GetSecretValueCommand({ SecretId: "/prod/db" })));

    // A user allowed to read /prod/api only: one allowed batch read, one denied read.
    await api("POST", "/v1/iam/accounts/self/users", { UserName: "reader" });
    reader = (await api("POST", "/v1/iam/accounts/self/users/reader/access-keys")) as typeof reader;
    const policy = { Version: "2012-10-17", Statement: [{ Effect: "Allow", Action: "secretsmanager:GetSecretValue", Resource: "arn:aws:secretsmanager:*:*:secret:/prod/api-*" }, { Effect: "Allow", Action: "secretsmanager:BatchGetSecretValue", Resource: "*" }] };
    await api("PUT", "/v1/iam/accounts/self/users/reader/policies/read-api", { PolicyDocument: JSON.stringify(policy) });
    const rsm = smClient(srv.endpoint, { key: reader.AccessKeyId, secret: reader.SecretAccessKey });
    const batch = await rsm.send(new BatchGetSecretValueCommand({ SecretIdList: ["/prod/api"] }));
    assert.equal(batch.SecretValues?.length, 1);
    await assert.rejects(rsm.send(new GetSecretValueCommand({ SecretId: "/prod/db" })), { name: "AccessDeniedException" });

    // The agents' change feed subscription is a call too.
    const feed = await subscribeChanges(srv.endpoint);
    await feed.next((e) => e.event === "hello");
    feed.close();
  });
  after(async () => {
    await srv?.close();
    sink?.server.close();
  });

  const all = async (): Promise<AuditRecord[]> => (await srv.app.store.queryAudit!({ limit: 10_000 })).reverse();

  test("every call yields a record: allowed, denied and failed, with who, what, where and how it ended", async () => {
    const rs = await all();
    const ops = rs.map((r) => r.operation);
    for (const op of ["CreateSecret", "GetSecretValue", "PutSecretValue", "DescribeSecret", "BatchGetSecretValue", "GET /v1/changes", "POST /v1/iam/accounts/{account}/users"]) {
      assert.ok(ops.includes(op), `a record of ${op}`);
    }
    const get = rs.find((r) => r.operation === "GetSecretValue" && r.outcome === "success")!;
    assert.equal(get.principalArn, ADMIN_ARN);
    assert.equal(get.accountId, TEST_ACCOUNT);
    assert.equal(get.accessKeyId, TEST_KEY_ID);
    assert.equal(get.secretName, "/prod/db");
    assert.match(get.secretArn!, /:secret:\/prod\/db-/);
    assert.equal(get.versionStage, "AWSCURRENT");
    assert.ok(get.versionId);
    assert.equal(get.sourceIp, "127.0.0.1");
    assert.match(get.userAgent, /aws-sdk-js/);
    assert.equal(get.status, 200);
    assert.ok(get.durationMs >= 0);

    const missing = rs.find((r) => r.errorCode === "ResourceNotFoundException")!;
    assert.equal(missing.outcome, "error");
    const badSig = rs.find((r) => r.operation === "GetSecretValue" && r.errorCode !== undefined && /Signature|Unrecognized/.test(r.errorCode))!;
    assert.equal(badSig.outcome, "denied");
    assert.equal(badSig.accessKeyId, TEST_KEY_ID, "the key a refused call claimed");
    const denied = rs.find((r) => r.errorCode === "AccessDeniedException")!;
    assert.equal(denied.outcome, "denied");
    assert.equal(denied.principalArn, `arn:aws:iam::${TEST_ACCOUNT}:user/reader`);
    assert.equal(denied.secretName, "/prod/db");
    const batch = rs.find((r) => r.operation === "BatchGetSecretValue")!;
    assert.equal(batch.secretName, "/prod/api");

    // Consecutive seqs from 1, one chain.
    assert.deepEqual(rs.map((r) => r.seq).sort((a, b) => a - b), rs.map((_, i) => i + 1));
  });

  test("no secret value appears in any audit record, the file sink or the HTTP sink", async () => {
    await srv.app.audit!.log.flush();
    const db = new Database(join(srv.dataDir, "keyshift.db"), { readonly: true });
    const rows = JSON.stringify(db.prepare(`SELECT * FROM audit_blocks`).all()) + JSON.stringify(db.prepare(`SELECT * FROM audit_checkpoints`).all());
    db.close();
    await until(() => sink.bodies.join("").includes("GET /v1/changes"));
    for (const where of [rows, readFileSync(file, "utf8"), sink.bodies.join("\n")]) {
      assert.ok(where.length > 1000);
      assert.ok(!where.includes(marker), "first marker absent");
      assert.ok(!where.includes(marker2), "second marker absent");
    }
    assert.equal(statSync(file).mode & 0o777, 0o600);
    assert.equal(statSync(join(srv.dataDir, "audit.key")).mode & 0o777, 0o600);
  });

  test("the HTTP sink delivers the chain in order to a real collector", async () => {
    await srv.app.audit!.log.flush();
    const n = (await all()).length;
    await until(() => sink.bodies.reduce((k, b) => k + (JSON.parse(b) as { Records: unknown[] }).Records.length, 0) >= n);
    const got = sink.bodies.map((b) => JSON.parse(b) as { Records: AuditRecord[]; Checkpoints: AuditCheckpoint[] });
    const v = new ChainVerifier(loadAuditKey(join(srv.dataDir, "audit.key"), false), "local", got.flatMap((g) => g.Checkpoints));
    for (const r of got.flatMap((g) => g.Records)) assert.ok(v.push(r), JSON.stringify(v.problem));
    assert.ok(got.flatMap((g) => g.Checkpoints).length >= 1, "signed checkpoints are delivered too");
  });

  test("GET /v1/audit filters by secret, principal, outcome, operation and time, and pages", async () => {
    type Page = { Records: { Operation: string; PrincipalArn?: string; SecretName?: string; Outcome: string; Time: number; Seq: number }[]; NextToken?: string };
    const bySecret = (await api("GET", "/v1/audit?SecretId=/prod/db")) as Page;
    assert.ok(bySecret.Records.length >= 4);
    assert.ok(bySecret.Records.every((r) => r.SecretName === "/prod/db"));
    const byPrincipal = (await api("GET", "/v1/audit?Principal=reader")) as Page;
    assert.ok(byPrincipal.Records.length === 2 && byPrincipal.Records.every((r) => r.PrincipalArn?.endsWith(":user/reader")));
    const denied = (await api("GET", "/v1/audit?Outcome=denied")) as Page;
    assert.ok(denied.Records.length >= 2 && denied.Records.every((r) => r.Outcome === "denied"));
    const puts = (await api("GET", "/v1/audit?Operation=PutSecretValue")) as Page;
    assert.equal(puts.Records.length, 1);
    const future = (await api("GET", `/v1/audit?Since=${Math.floor(Date.now() / 1000) + 3600}`)) as Page;
    assert.equal(future.Records.length, 0);
    const past = (await api("GET", `/v1/audit?Until=${Math.floor(Date.now() / 1000) - 3600}`)) as Page;
    assert.equal(past.Records.length, 0);
    // Paging: pages of 3, newest first, no record twice.
    const seen: string[] = [];
    let token: string | undefined;
    do {
      const p = (await api("GET", `/v1/audit?SecretId=/prod/db&MaxResults=3${token ? `&NextToken=${encodeURIComponent(token)}` : ""}`)) as Page;
      seen.push(...p.Records.map((r) => String(r.Seq)));
      token = p.NextToken;
    } while (token);
    assert.equal(new Set(seen).size, seen.length);
    assert.ok(seen.length >= bySecret.Records.length);
  });

  test("keyshift audit query, who-read and last-access from the CLI", async () => {
    const env = { PATH: process.env.PATH, HOME: srv.dataDir, ...adminEnv };
    const q = await runProcess(process.execPath, [CLI, "audit", "query", "--secret-id", "/prod/db", "--outcome", "denied", "--endpoint-url", srv.endpoint], env, 30_000);
    assert.equal(q.code, 0, q.stderr);
    const recs = (JSON.parse(q.stdout) as { Records: { PrincipalArn: string }[] }).Records;
    assert.ok(recs.some((r) => r.PrincipalArn.endsWith(":user/reader")));

    const w = await runProcess(process.execPath, [CLI, "audit", "who-read", "--secret-id", "/prod/api", "--days", "7", "--endpoint-url", srv.endpoint], env, 30_000);
    assert.equal(w.code, 0, w.stderr);
    const readers = JSON.parse(w.stdout) as { Readers: { PrincipalArn: string; Reads: number }[] };
    assert.deepEqual(readers.Readers.map((r) => r.PrincipalArn), [`arn:aws:iam::${TEST_ACCOUNT}:user/reader`], "the batch read counts; a denied read does not");
    const dbReaders = (await api("GET", "/v1/audit/readers?SecretId=/prod/db&Days=1")) as { Readers: { PrincipalArn: string }[] };
    assert.deepEqual(dbReaders.Readers.map((r) => r.PrincipalArn), [ADMIN_ARN]);

    const l = await runProcess(process.execPath, [CLI, "audit", "last-access", "--by", "principal", "--endpoint-url", srv.endpoint], env, 30_000);
    assert.equal(l.code, 0, l.stderr);
    const entries = (JSON.parse(l.stdout) as { Entries: { PrincipalArn: string; LastAccess: number }[] }).Entries;
    assert.ok(entries.some((e) => e.PrincipalArn === ADMIN_ARN) && entries.some((e) => e.PrincipalArn.endsWith(":user/reader")));
    const bySecret = (await api("GET", "/v1/audit/last-access?By=secret")) as { Entries: { SecretName?: string; LastAccess: number }[] };
    assert.deepEqual(bySecret.Entries.map((e) => e.SecretName).sort(), ["/prod/api", "/prod/db"]);
  });

  test("keyshift audit verify passes on the live store and on the file sink", async () => {
    await srv.app.audit!.log.flush();
    for (const extra of [[], ["--file", file]]) {
      const r = await runProcess(process.execPath, [CLI, "audit", "verify", "--data-dir", srv.dataDir, ...extra], { PATH: process.env.PATH, KEYSHIFT_LOG_LEVEL: "silent" }, 60_000);
      assert.equal(r.code, 0, r.stderr + r.stdout);
      assert.ok((JSON.parse(r.stdout) as { records: number }).records > 10);
    }
  });
});

describe("audit modes when the store sink fails", () => {
  const FAIL = `CREATE TRIGGER audit_down BEFORE INSERT ON audit_blocks BEGIN SELECT RAISE(ABORT, 'audit disk full'); END`;
  const sql = (dataDir: string, s: string) => {
    const db = new Database(join(dataDir, "keyshift.db"));
    db.exec(s);
    db.close();
  };

  test("fail-closed: the GetSecretValue answer is refused and no value leaves; the chain has no gap after recovery", async () => {
    const srv = await startTestServer({ config: { audit: { mode: "fail-closed" } } });
    try {
      const marker = `marker-${randomUUID()}`;
      const sm = smClient(srv.endpoint);
      await sm.send(new CreateSecretCommand({ Name: "closed", SecretString: marker }));
      sql(srv.dataDir, FAIL);
      // A record is durable once journaled; the store refusing it shows when the journal is moved into the database
      // (a tenth of a second later, or on the flush below), and from then on every call is refused until it takes records again.
      // A call made now may still be answered: its record is journaled, which is durable; or refused if the store already refused one.
      await sm.send(new GetSecretValueCommand({ SecretId: "closed" })).catch(() => undefined);
      await srv.app.audit!.log.flush().then(() => assert.fail("the store took a record although it refuses them"), () => undefined);
      const e = await sm.send(new GetSecretValueCommand({ SecretId: "closed" })).then(
        () => assert.fail("answered although it could not be audited"),
        (err: { name: string; message: string; $response?: unknown; $metadata: { httpStatusCode?: number } }) => err,
      );
      assert.equal(e.name, "InternalServiceError");
      assert.equal(e.$metadata.httpStatusCode, 500);
      assert.ok(!JSON.stringify(e).includes(marker) && !e.message.includes(marker));
      assert.ok(srv.app.audit!.log.stats.failedWrites >= 1);
      sql(srv.dataDir, `DROP TRIGGER audit_down`);
      assert.equal((await sm.send(new GetSecretValueCommand({ SecretId: "closed" }))).SecretString, marker);
      await srv.app.audit!.log.flush();
      const r = await runProcess(process.execPath, [CLI, "audit", "verify", "--data-dir", srv.dataDir], { PATH: process.env.PATH }, 60_000);
      assert.equal(r.code, 0, r.stderr + r.stdout);
    } finally {
      await srv.close();
    }
  });

  test("best-effort: the answer leaves, the failure is logged and counted", async () => {
    const srv = await startTestServer({ config: { audit: { mode: "best-effort" } } });
    try {
      const sm = smClient(srv.endpoint);
      await sm.send(new CreateSecretCommand({ Name: "open", SecretString: "best-effort-value" }));
      await srv.app.audit!.log.flush();
      sql(srv.dataDir, FAIL);
      assert.equal((await sm.send(new GetSecretValueCommand({ SecretId: "open" }))).SecretString, "best-effort-value");
      await srv.app.audit!.log.flush().then(() => assert.fail("the store took a record although it refuses them"), () => undefined);
      assert.equal((await sm.send(new GetSecretValueCommand({ SecretId: "open" }))).SecretString, "best-effort-value");
      await srv.app.audit!.log.flush().catch(() => undefined);
      const st = srv.app.audit!.log.stats;
      assert.ok(st.failedWrites >= 1 && st.dropped >= 1, JSON.stringify(st));
      sql(srv.dataDir, `DROP TRIGGER audit_down`);
      await sm.send(new GetSecretValueCommand({ SecretId: "open" }));
      await srv.app.audit!.log.flush();
      const r = await runProcess(process.execPath, [CLI, "audit", "verify", "--data-dir", srv.dataDir], { PATH: process.env.PATH }, 60_000);
      assert.equal(r.code, 0, r.stderr + r.stdout);
    } finally {
      await srv.close();
    }
  });
});
