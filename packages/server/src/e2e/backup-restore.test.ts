import { after, test, type TestContext } from "node:test";
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import {
  CreateSecretCommand, DeleteSecretCommand, DescribeSecretCommand, GetResourcePolicyCommand, GetSecretValueCommand, ListSecretVersionIdsCommand,
  ListSecretsCommand, PutResourcePolicyCommand, PutSecretValueCommand, RotateSecretCommand, TagResourceCommand, UpdateSecretVersionStageCommand,
  type SecretsManagerClient,
} from "@aws-sdk/client-secrets-manager";
import { CLI, TEST_ACCOUNT, TEST_KEY_ID, TEST_REGION, TEST_SECRET, hasCommand, requireDependency, runProcess, spawnServer, tempDir, type ServerProcess } from "../testing/harness.js";
import { createTestDatabase, sharedPostgresUnavailable } from "../storage/postgres/test-database.js";
import { smClient } from "../testing/sm-client.js";

/*
 * Backup under write load, restore on a "fresh machine" (another data dir, the master.key copied
 * separately), a server on the restored dir: everything acknowledged before the backup started is
 * there and decrypts, and the fixtures' metadata is identical. The servers are real processes.
 */

const root = tempDir("keyshift-backup-e2e-");
const servers: ServerProcess[] = [];
after(async () => {
  for (const s of servers) if (s.child.exitCode === null) await s.stop();
  rmSync(root, { recursive: true, force: true });
});

const apiEnv = (key = TEST_KEY_ID, secret = TEST_SECRET): NodeJS.ProcessEnv => ({ PATH: process.env.PATH, HOME: root, AWS_ACCESS_KEY_ID: key, AWS_SECRET_ACCESS_KEY: secret, AWS_REGION: TEST_REGION });

async function keyshift(env: NodeJS.ProcessEnv, ...args: string[]): Promise<string> {
  const r = await runProcess(process.execPath, [CLI, ...args], env, 120_000);
  assert.equal(r.code, 0, `keyshift ${args.join(" ")}: ${r.stderr}`);
  return r.stdout;
}

/** The SDK output without the per-request metadata. */
function plain<T extends { $metadata?: unknown }>(o: T): Omit<T, "$metadata"> {
  const { $metadata, ...rest } = o;
  return rest;
}

const FIXTURES = 12;
const ROTATOR = `arn:aws:lambda:${TEST_REGION}:${TEST_ACCOUNT}:function:keyshift-random-password`;
const policy = (name: string) => JSON.stringify({ Version: "2012-10-17", Statement: [{ Effect: "Allow", Principal: { AWS: `arn:aws:iam::${TEST_ACCOUNT}:root` }, Action: "secretsmanager:GetSecretValue", Resource: "*", Sid: name.replace(/\W/g, "") }] });

/** Secrets with versions, custom labels, policies, tags, schedules, a finished rotation, a binary value and one scheduled for deletion. */
async function seedFixtures(sm: SecretsManagerClient): Promise<Map<string, string | Uint8Array | undefined>> {
  const values = new Map<string, string | Uint8Array | undefined>();
  for (let i = 0; i < FIXTURES; i++) {
    const name = `/fixture/s${i}`;
    await sm.send(new CreateSecretCommand({ Name: name, SecretString: `f${i}-v0`, Description: `fixture ${i}`, Tags: [{ Key: "team", Value: `t${i % 3}` }] }));
    let current = `f${i}-v0`;
    for (let v = 1; v <= i % 4; v++) await sm.send(new PutSecretValueCommand({ SecretId: name, SecretString: (current = `f${i}-v${v}`) }));
    if (i % 4 === 3) {
      const versions = (await sm.send(new ListSecretVersionIdsCommand({ SecretId: name }))).Versions!;
      const oldest = versions.find((v) => !v.VersionStages?.length) ?? versions[0]!;
      await sm.send(new UpdateSecretVersionStageCommand({ SecretId: name, VersionStage: "blue", MoveToVersionId: oldest.VersionId! }));
    }
    if (i % 3 === 0) await sm.send(new PutResourcePolicyCommand({ SecretId: name, ResourcePolicy: policy(name) }));
    if (i % 2 === 0) await sm.send(new TagResourceCommand({ SecretId: name, Tags: [{ Key: "env", Value: "prod" }] }));
    if (i % 5 === 1) await sm.send(new RotateSecretCommand({ SecretId: name, RotationLambdaARN: ROTATOR, RotationRules: { ScheduleExpression: "rate(30 days)" }, RotateImmediately: false }));
    values.set(name, current);
  }
  // One rotation that ran (its journal is part of the store), waited for until it finished.
  const rot = "/fixture/rotated";
  await sm.send(new CreateSecretCommand({ Name: rot, SecretString: "before-rotation" }));
  await sm.send(new RotateSecretCommand({ SecretId: rot, RotationLambdaARN: ROTATOR, RotationRules: { AutomaticallyAfterDays: 7 } }));
  for (let i = 0; ; i++) {
    const vs = (await sm.send(new ListSecretVersionIdsCommand({ SecretId: rot }))).Versions!;
    if (vs.length === 2 && !vs.some((v) => v.VersionStages?.includes("AWSPENDING"))) break;
    assert.ok(i < 200, "the rotation finishes");
    await new Promise((r) => setTimeout(r, 50));
  }
  values.set(rot, (await sm.send(new GetSecretValueCommand({ SecretId: rot }))).SecretString);
  await sm.send(new CreateSecretCommand({ Name: "/fixture/binary", SecretBinary: new Uint8Array([0, 1, 2, 254, 255]) }));
  values.set("/fixture/binary", new Uint8Array([0, 1, 2, 254, 255]));
  await sm.send(new CreateSecretCommand({ Name: "/fixture/deleted", SecretString: "gone-soon" }));
  await sm.send(new DeleteSecretCommand({ SecretId: "/fixture/deleted", RecoveryWindowInDays: 7 }));
  values.set("/fixture/deleted", undefined);
  return values;
}

/** What must come back identical: DescribeSecret, ListSecretVersionIds (with deprecated ones), GetResourcePolicy. */
async function snapshotOf(sm: SecretsManagerClient, names: Iterable<string>): Promise<Record<string, unknown>> {
  const out: Record<string, unknown> = {};
  for (const name of names) {
    out[name] = {
      describe: plain(await sm.send(new DescribeSecretCommand({ SecretId: name }))),
      versions: plain(await sm.send(new ListSecretVersionIdsCommand({ SecretId: name, IncludeDeprecated: true }))),
      policy: plain(await sm.send(new GetResourcePolicyCommand({ SecretId: name }))),
    };
  }
  return out;
}

interface Ack {
  name: string;
  value: string;
  versionId: string;
  seq: number;
  at: number;
}

/** PutSecretValue on each worker's own secrets (in order, so a snapshot shows a prefix) and CreateSecret, until `stop`. */
function writeLoad(sm: SecretsManagerClient, workers: number, perWorker: number) {
  const acks: Ack[] = [];
  const latencies: { at: number; ms: number }[] = [];
  let stop = false;
  const timed = async (fn: () => Promise<{ VersionId?: string }>, name: string, value: string, seq: number) => {
    const t = Date.now();
    const r = await fn();
    const now = Date.now();
    latencies.push({ at: t, ms: now - t });
    acks.push({ name, value, versionId: r.VersionId!, seq, at: now });
  };
  const loops = [...Array(workers).keys()].map(async (w) => {
    for (let seq = 1; !stop; seq++) {
      const name = `/load/w${w}-${seq % perWorker}`;
      const value = `w${w}-${seq}`;
      await timed(() => sm.send(new PutSecretValueCommand({ SecretId: name, SecretString: value })), name, value, seq);
    }
  });
  loops.push(
    (async () => {
      for (let n = 0; !stop; n++) {
        const name = `/load/new-${n}`;
        await timed(() => sm.send(new CreateSecretCommand({ Name: name, SecretString: `new-${n}` })), name, `new-${n}`, 0);
      }
    })(),
  );
  return { acks, latencies, stop: async () => ((stop = true), await Promise.all(loops)) };
}

interface Scenario {
  /** Starts the server whose data is backed up. */
  startSource(): Promise<ServerProcess>;
  /** CLI arguments that address the source's store directly (data dir or --store URL). */
  storeArgs: string[];
  /** Environment of CLI commands and servers (the master key, for the env provider). */
  env: NodeJS.ProcessEnv;
  /** Takes the backup while the server runs; returns a line for the test's diagnostics. */
  backup(): Promise<string>;
  /** Restores it on the "fresh machine" and starts a server there; the source server is stopped. */
  restoreAndStart(): Promise<{ server: ServerProcess; storeArgs: string[] }>;
  /** Audit records the backup held at least. */
  auditRecordsAtLeast(): number;
}

/**
 * The whole story: fixtures, users and keys; a write load; the backup in the middle of it; a
 * restore; a server on the restored data where everything acknowledged before the backup
 * started is there and decrypts and the fixtures' metadata is identical.
 */
async function backupUnderLoad(t: TestContext, s: Scenario): Promise<void> {
  const source = await s.startSource();
  servers.push(source);
  const sm = smClient(source.endpoint);
  const fixtures = await seedFixtures(sm);

  // A user with an access key made straight on the store, one with an inline policy made over the API.
  const bob = JSON.parse(await keyshift(s.env, "access-keys", "create", ...s.storeArgs, "--user", "bob", "--admin")) as { AccessKeyId: string; SecretAccessKey: string };
  const api = (...args: string[]) => keyshift(apiEnv(), ...args, "--endpoint-url", source.endpoint);
  await api("iam", "create-user", "--user", "carol", "--tag", "team=fixtures");
  const carol = JSON.parse(await api("iam", "create-access-key", "--user", "carol")) as { AccessKeyId: string; SecretAccessKey: string };
  const carolPolicy = join(root, "carol.json");
  writeFileSync(carolPolicy, JSON.stringify({ Version: "2012-10-17", Statement: [{ Effect: "Allow", Action: "secretsmanager:GetSecretValue", Resource: `arn:aws:secretsmanager:*:${TEST_ACCOUNT}:secret:/fixture/*` }] }));
  await api("iam", "put-user-policy", "--user", "carol", "--policy-name", "read-fixtures", "--policy-document", `file://${carolPolicy}`);

  const workers = 4;
  const perWorker = 8;
  for (let w = 0; w < workers; w++) for (let k = 0; k < perWorker; k++) await sm.send(new CreateSecretCommand({ Name: `/load/w${w}-${k}`, SecretString: `w${w}-0` }));
  for (const [name, value] of fixtures) if (value !== undefined) await sm.send(new GetSecretValueCommand({ SecretId: name }));
  const before = await snapshotOf(sm, fixtures.keys());
  const usersBefore = await api("iam", "list-users");
  const carolPolicyBefore = await api("iam", "get-user-policy", "--user", "carol", "--policy-name", "read-fixtures");
  const historyBefore = await api("rotations", "history", "--secret-id", "/fixture/rotated");
  const keysOf = (out: string) => (JSON.parse(out) as { AccessKeys: Record<string, string>[] }).AccessKeys.map(({ LastUsedDate, ...k }) => k);
  const keysBefore = keysOf(await keyshift(s.env, "access-keys", "list", ...s.storeArgs));

  // The load runs before, during and after the backup.
  const load = writeLoad(sm, workers, perWorker);
  while (load.acks.length < 100) await new Promise((r) => setTimeout(r, 20));
  const backupStart = Date.now();
  const ackedBefore = load.acks.filter((a) => a.at <= backupStart);
  const report = await s.backup();
  const backupEnd = Date.now();
  const during = load.latencies.filter((l) => l.at >= backupStart && l.at <= backupEnd);
  await new Promise((r) => setTimeout(r, 300));
  await load.stop();
  t.diagnostic(`${report}; ${load.acks.length} writes acknowledged in all, ${ackedBefore.length} before the backup, ${during.length} while the backup command ran (max latency ${Math.max(0, ...during.map((l) => l.ms))} ms)`);
  assert.ok(during.length > 0, "the server kept acknowledging writes while the backup ran");
  assert.equal(await source.stop(), 0, `the source server stops cleanly:\n${source.output().slice(-2000)}`);

  const { server: target, storeArgs } = await s.restoreAndStart();
  servers.push(target);
  const sm2 = smClient(target.endpoint);
  const api2 = (...args: string[]) => keyshift(apiEnv(), ...args, "--endpoint-url", target.endpoint);

  assert.deepEqual(await snapshotOf(sm2, fixtures.keys()), before, "DescribeSecret, ListSecretVersionIds and GetResourcePolicy are identical");
  for (const [name, value] of fixtures) {
    if (value === undefined) continue;
    const got = await sm2.send(new GetSecretValueCommand({ SecretId: name }));
    if (typeof value === "string") assert.equal(got.SecretString, value, name);
    else assert.deepEqual(Buffer.from(got.SecretBinary!), Buffer.from(value), name);
    for (const v of (await sm2.send(new ListSecretVersionIdsCommand({ SecretId: name }))).Versions!) await sm2.send(new GetSecretValueCommand({ SecretId: name, VersionId: v.VersionId! }));
  }
  assert.equal(await api2("iam", "list-users"), usersBefore);
  assert.equal(await api2("iam", "get-user-policy", "--user", "carol", "--policy-name", "read-fixtures"), carolPolicyBefore);
  assert.equal(await api2("rotations", "history", "--secret-id", "/fixture/rotated"), historyBefore);
  assert.deepEqual(keysOf(await keyshift(s.env, "access-keys", "list", ...storeArgs)), keysBefore);
  await smClient(target.endpoint, { key: bob.AccessKeyId, secret: bob.SecretAccessKey }).send(new ListSecretsCommand({}));
  const carolSm = smClient(target.endpoint, { key: carol.AccessKeyId, secret: carol.SecretAccessKey });
  assert.equal((await carolSm.send(new GetSecretValueCommand({ SecretId: "/fixture/s0" }))).SecretString, fixtures.get("/fixture/s0"));
  await assert.rejects(carolSm.send(new GetSecretValueCommand({ SecretId: "/load/w0-0" })), { name: "AccessDeniedException" });

  // Every write acknowledged before the backup started is there and decrypts; each load secret
  // shows one moment of its history (AWSPREVIOUS is the write just before AWSCURRENT).
  for (const a of ackedBefore) {
    const got = await sm2.send(new GetSecretValueCommand({ SecretId: a.name, VersionId: a.versionId }));
    assert.equal(got.SecretString, a.value, `${a.name} ${a.value}`);
  }
  const byName = new Map<string, Ack[]>();
  for (const a of load.acks) if (a.seq > 0) byName.set(a.name, [...(byName.get(a.name) ?? []), a]);
  for (const [name, acks] of byName) {
    const cur = (await sm2.send(new GetSecretValueCommand({ SecretId: name }))).SecretString!;
    const lastBefore = ackedBefore.filter((a) => a.name === name).at(-1);
    const i = acks.findIndex((a) => a.value === cur);
    if (i < 0) {
      assert.equal(lastBefore, undefined, `${name}: AWSCURRENT ${cur} is a write acknowledged before the backup or later`);
      assert.match(cur, /-0$/);
      continue;
    }
    assert.ok(!lastBefore || acks[i]!.seq >= lastBefore.seq, `${name}: AWSCURRENT is not older than the last write acknowledged before the backup`);
    const prev = (await sm2.send(new GetSecretValueCommand({ SecretId: name, VersionStage: "AWSPREVIOUS" }))).SecretString;
    assert.equal(prev, i === 0 ? cur.replace(/-\d+$/, "-0") : acks[i - 1]!.value, `${name}: AWSPREVIOUS is the write before AWSCURRENT`);
  }
  assert.equal(await target.stop(), 0, target.output().slice(-2000));

  // The audit trail came back with the store and verifies (the audit key was restored beside it),
  // and it is the real check: with another key the same trail fails.
  const audit = await runProcess(process.execPath, [CLI, "audit", "verify", ...storeArgs], s.env, 120_000);
  assert.equal(audit.code, 0, audit.stderr);
  const verified = JSON.parse(audit.stdout) as { ok: boolean; records: number };
  assert.equal(verified.ok, true);
  assert.ok(verified.records >= s.auditRecordsAtLeast(), `${verified.records} audit records`);
  const otherKey = join(root, `other-audit-${randomBytes(3).toString("hex")}.key`);
  writeFileSync(otherKey, readFileSync(join(storeArgs[1]!, "audit.key")).map((b) => b ^ 0x5a), { mode: 0o600 });
  const otherConfig = join(root, `other-audit-${randomBytes(3).toString("hex")}.toml`);
  writeFileSync(otherConfig, `[audit]\nkeyFile = ${JSON.stringify(otherKey)}\n`);
  const forged = await runProcess(process.execPath, [CLI, "audit", "verify", ...storeArgs, "--config", otherConfig], s.env, 120_000);
  assert.notEqual(forged.code, 0, "another audit key does not verify the restored trail");
  t.diagnostic(`audit verify on the restored store: ${verified.records} records ok`);
}

test("SQLite: keyshift backup under write load, keyshift restore on a fresh data dir: everything acknowledged before it is intact and decrypts", { timeout: 300_000 }, async (t) => {
  const srcDir = join(root, "sqlite-src");
  const backupFile = join(root, "backups", "keyshift.ksb");
  const env = { ...process.env };
  let auditRecords = 0;
  await backupUnderLoad(t, {
    auditRecordsAtLeast: () => auditRecords,
    startSource: () => spawnServer(srcDir),
    storeArgs: ["--data-dir", srcDir],
    env,
    backup: async () => {
      const r = JSON.parse(await keyshift(env, "backup", "--data-dir", srcDir, "--out", backupFile)) as { ms: number; bytes: number; counts: Record<string, number> };
      assert.equal(statSync(backupFile).mode & 0o777, 0o600);
      assert.ok(!readFileSync(backupFile).includes("f3-v3"), "values are encrypted in the backup");
      auditRecords = r.counts.audit_records ?? 0;
      assert.ok(auditRecords > 0, "the audit trail is in the backup");
      return `keyshift backup: ${r.bytes} bytes, ${r.counts.versions} versions, ${r.counts.audit_records ?? 0} audit records, snapshot and write ${r.ms} ms`;
    },
    restoreAndStart: async () => {
      // A corrupted copy and the wrong master key are refused by the CLI, leaving nothing behind.
      const corrupt = join(root, "corrupt.ksb");
      const bytes = readFileSync(backupFile);
      bytes[bytes.length - 5000] = bytes[bytes.length - 5000]! ^ 0x01;
      writeFileSync(corrupt, bytes);
      const refused = join(root, "refused");
      const bad = await runProcess(process.execPath, [CLI, "restore", "--in", corrupt, "--data-dir", refused, "--master-key", join(srcDir, "master.key")], env, 60_000);
      assert.notEqual(bad.code, 0);
      assert.match(bad.stderr, /checksum mismatch/);
      assert.equal(existsSync(refused), false);
      const wrong = await runProcess(process.execPath, [CLI, "restore", "--in", backupFile, "--data-dir", refused], { ...env, KEYSHIFT_MASTER_KEY: randomBytes(32).toString("base64") }, 60_000);
      assert.notEqual(wrong.code, 0);
      assert.match(wrong.stderr, /wrong master key: the backup's data keys are wrapped by master key mk-/);
      assert.equal(existsSync(refused), false);

      // The fresh machine: an empty data dir, the key files copied separately.
      const dstDir = join(root, "sqlite-restored");
      const keyFlags = ["--master-key", join(srcDir, "master.key"), "--audit-key", join(srcDir, "audit.key")];
      const restored = JSON.parse(await keyshift(env, "restore", "--in", backupFile, "--data-dir", dstDir, ...keyFlags)) as { checkedDataKeys: number };
      assert.ok(restored.checkedDataKeys > 0);
      return { server: await spawnServer(dstDir), storeArgs: ["--data-dir", dstDir] };
    },
  });
});

test("PostgreSQL: pg_dump under write load, pg_restore into a new database: everything acknowledged before it is intact and decrypts", { timeout: 300_000 }, async (t) => {
  const why = await sharedPostgresUnavailable();
  if (!requireDependency(t, why ?? "PostgreSQL", why === undefined)) return;
  if (!requireDependency(t, "pg_dump and pg_restore", hasCommand("pg_dump") && hasCommand("pg_restore"))) return;
  const source = await createTestDatabase("keyshift_backup_src");
  const restoredDb = await createTestDatabase("keyshift_backup_dst");
  t.after(async () => {
    await source.drop();
    await restoredDb.drop();
  });
  const dump = join(root, "keyshift.dump");
  const env = { ...process.env, KEYSHIFT_MASTER_KEY: randomBytes(32).toString("base64"), KEYSHIFT_STORE: source.url };
  const srcDir = join(root, "pg-node1");
  let auditRecords = 0;
  await backupUnderLoad(t, {
    auditRecordsAtLeast: () => auditRecords,
    startSource: () => spawnServer(srcDir, 0, env),
    storeArgs: ["--data-dir", srcDir, "--store", source.url],
    env,
    backup: async () => {
      const started = Date.now();
      const r = await runProcess("pg_dump", ["--format=custom", `--file=${dump}`, source.url], { ...process.env }, 120_000);
      assert.equal(r.code, 0, r.stderr);
      const list = await runProcess("pg_restore", ["--list", dump], { ...process.env }, 60_000);
      assert.match(list.stdout, /TABLE DATA \S+ audit_records/, "the audit trail is in the dump");
      return `pg_dump: ${statSync(dump).size} bytes in ${Date.now() - started} ms`;
    },
    restoreAndStart: async () => {
      const r = await runProcess("pg_restore", ["--no-owner", "--exit-on-error", `--dbname=${restoredDb.url}`, dump], { ...process.env }, 120_000);
      assert.equal(r.code, 0, r.stderr);
      // Another node on the restored database: its own data dir, the same master key and audit key (docs/deployment.md).
      const dstDir = join(root, "pg-node2");
      mkdirSync(dstDir, { mode: 0o700 });
      writeFileSync(join(dstDir, "audit.key"), readFileSync(join(srcDir, "audit.key")), { mode: 0o600 });
      auditRecords = Number((await runProcess("psql", ["-Atc", "SELECT COUNT(*) FROM audit_records", restoredDb.url], { ...process.env }, 30_000)).stdout.trim());
      assert.ok(auditRecords > 0, "the audit trail is in the restored database");
      const dstEnv = { ...env, KEYSHIFT_STORE: restoredDb.url };
      return { server: await spawnServer(dstDir, 0, dstEnv), storeArgs: ["--data-dir", dstDir, "--store", restoredDb.url] };
    },
  });
});
