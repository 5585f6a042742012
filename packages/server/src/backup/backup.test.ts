import { after, test } from "node:test";
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { existsSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import Database from "better-sqlite3";
import { CreateSecretCommand, GetSecretValueCommand, PutSecretValueCommand } from "@aws-sdk/client-secrets-manager";
import { fileKeyProvider, readKeyringFile, writeKeyringFile } from "../crypto/keyring-file.js";
import { newMasterKey } from "../crypto/keyring.js";
import { sqliteMigrations } from "../storage/sqlite/migrations.js";
import { startTestServer, tempDir as harnessTempDir } from "../testing/harness.js";
import { smClient } from "../testing/sm-client.js";
import { BACKUP_MAGIC, BackupFileError, readHeader } from "./backup-file.js";
import { createBackup } from "./create-backup.js";
import { WrongMasterKeyError } from "./master-key-check.js";
import { restoreBackup } from "./restore-backup.js";
import { journalPath } from "../storage/sqlite/audit-journal.js";

const dirs: string[] = [];
after(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});
function tempDir(prefix: string): string {
  const d = harnessTempDir(prefix);
  dirs.push(d);
  return d;
}

/** A data dir with a few secrets (several versions each), written by a real server; returns its paths. */
async function seededDataDir(): Promise<{ dir: string; db: string; keyring: string }> {
  const dir = tempDir("keyshift-backup-src-");
  const srv = await startTestServer({ dataDir: dir });
  try {
    const sm = smClient(srv.endpoint);
    for (let i = 0; i < 5; i++) {
      await sm.send(new CreateSecretCommand({ Name: `/b/s${i}`, SecretString: `v0-${i}` }));
      await sm.send(new PutSecretValueCommand({ SecretId: `/b/s${i}`, SecretString: `v1-${i}` }));
    }
  } finally {
    await srv.close();
  }
  return { dir, db: join(dir, "keyshift.db"), keyring: join(dir, "master.key") };
}

const src = await seededDataDir();
const backupDir = tempDir("keyshift-backup-out-");
const backup = join(backupDir, "kept", "keyshift.ksb");
const manifest = await createBackup({ dbPath: src.db, out: backup });

function restoreInto(dataDir: string, keyring: string, extra: { input?: string; force?: boolean } = {}) {
  return restoreBackup({ input: extra.input ?? backup, dataDir, dbPath: join(dataDir, "keyshift.db"), keys: fileKeyProvider(keyring), installKeyring: { from: keyring, to: join(dataDir, "master.key") }, force: extra.force ?? false });
}

function corruptCopy(at: (dbOffset: number, size: number) => number): string {
  const bytes = readFileSync(backup);
  const { dbOffset } = readHeader(backup);
  const i = at(dbOffset, bytes.length);
  bytes[i] = bytes[i]! ^ 0x40;
  const p = join(backupDir, `corrupt-${randomBytes(3).toString("hex")}.ksb`);
  writeFileSync(p, bytes);
  return p;
}

test("backup: one 0600 file, a manifest with version, schema, counts, key ids and checksum; no temp file left", () => {
  assert.equal(statSync(backup).mode & 0o777, 0o600);
  assert.deepEqual(readdirSync(join(backupDir, "kept")), ["keyshift.ksb"]);
  assert.equal(readFileSync(backup).subarray(0, BACKUP_MAGIC.length).toString(), BACKUP_MAGIC);
  const { manifest: m } = readHeader(backup);
  assert.deepEqual(m, manifest);
  assert.equal(m.schemaVersion, sqliteMigrations.length);
  assert.equal(m.counts.secrets, 5);
  assert.equal(m.counts.versions, 10);
  assert.deepEqual(m.masterKeyIds, [readKeyringFile(src.keyring).active]);
  assert.match(m.sha256, /^[0-9a-f]{64}$/);
  assert.ok(!readFileSync(backup).includes("v1-3"), "values stay encrypted in the backup");
});

test("restore: into a fresh dir with the master key, a server on it reads every value", async () => {
  const dir = join(tempDir("keyshift-restore-"), "data");
  const r = await restoreInto(dir, src.keyring);
  assert.equal(r.counts.versions, 10);
  assert.ok(r.checkedDataKeys >= 2);
  assert.equal(statSync(join(dir, "keyshift.db")).mode & 0o777, 0o600);
  assert.equal(statSync(join(dir, "master.key")).mode & 0o777, 0o600);
  assert.deepEqual(readdirSync(dir).sort(), ["keyshift.db", "master.key"]);
  const srv = await startTestServer({ dataDir: dir });
  try {
    const sm = smClient(srv.endpoint);
    for (let i = 0; i < 5; i++) assert.equal((await sm.send(new GetSecretValueCommand({ SecretId: `/b/s${i}` }))).SecretString, `v1-${i}`);
    assert.equal((await sm.send(new GetSecretValueCommand({ SecretId: "/b/s2", VersionStage: "AWSPREVIOUS" }))).SecretString, "v0-2");
  } finally {
    await srv.close();
  }
});

test("restore: a corrupted, truncated or foreign file is refused and nothing is written", async () => {
  const cases: [string, string, RegExp][] = [
    ["a flipped byte in the database", corruptCopy((off, size) => off + Math.floor((size - off) / 2)), /checksum mismatch/],
    ["a flipped byte in the manifest", corruptCopy((off) => off - 20), /corrupted/],
  ];
  const truncated = join(backupDir, "truncated.ksb");
  writeFileSync(truncated, readFileSync(backup).subarray(0, statSync(backup).size - 100));
  cases.push(["a truncated file", truncated, /truncated/]);
  const foreign = join(backupDir, "foreign.ksb");
  writeFileSync(foreign, readFileSync(src.db));
  cases.push(["a bare SQLite file", foreign, /not a Keyshift backup/]);
  for (const [what, input, message] of cases) {
    const dir = join(tempDir("keyshift-restore-bad-"), "data");
    await assert.rejects(restoreInto(dir, src.keyring, { input }), (e: Error) => e instanceof BackupFileError && message.test(e.message), what);
    assert.equal(existsSync(dir), false, `${what}: the data dir is not created`);
  }
});

test("restore: the wrong master key is refused clearly and leaves the data dir as it was", async () => {
  const parent = tempDir("keyshift-restore-key-");
  const otherKey = join(parent, "other.key");
  const k = newMasterKey();
  writeKeyringFile(otherKey, { active: k.id, keys: new Map([[k.id, k.key]]) });
  const dir = join(parent, "data");
  await assert.rejects(restoreInto(dir, otherKey), (e: Error) => e instanceof WrongMasterKeyError && e.message.includes(manifest.masterKeyIds[0]!) && !e.message.includes(k.key.toString("base64")));
  assert.equal(existsSync(dir), false);

  // Same key id, other material (a damaged keyring): still refused, and a dir that existed keeps its content.
  const ring = readKeyringFile(src.keyring);
  const forged = join(parent, "forged.key");
  writeKeyringFile(forged, { active: ring.active, keys: new Map([[ring.active, randomBytes(32)]]) });
  const existing = tempDir("keyshift-restore-key-dir-");
  writeFileSync(join(existing, "master.key"), readFileSync(forged));
  await assert.rejects(
    restoreBackup({ input: backup, dataDir: existing, dbPath: join(existing, "keyshift.db"), keys: fileKeyProvider(join(existing, "master.key")) }),
    (e: Error) => e instanceof WrongMasterKeyError && /do not decrypt/.test(e.message),
  );
  assert.deepEqual(readdirSync(existing), ["master.key"]);
});

test("restore: refuses a data dir with a store in it unless --force, which replaces the store and drops its WAL and audit journals", async () => {
  const other = await seededDataDir();
  writeFileSync(join(other.dir, "keyshift.db-wal"), "stale");
  // The old store's audit journal (storage/sqlite/audit-journal.ts) would otherwise be stored on top of the restored chain.
  const journal = journalPath(other.db, "local");
  writeFileSync(journal, "stale");
  await assert.rejects(restoreBackup({ input: backup, dataDir: other.dir, dbPath: other.db, keys: fileKeyProvider(src.keyring) }), /not empty.*--force/);
  await assert.rejects(restoreInto(other.dir, src.keyring), /not empty/);
  const r = await restoreInto(other.dir, src.keyring, { force: true });
  assert.equal(r.counts.secrets, 5);
  assert.equal(existsSync(join(other.dir, "keyshift.db-wal")), false);
  assert.equal(existsSync(journal), false);
  assert.deepEqual(readFileSync(join(other.dir, "master.key")), readFileSync(src.keyring));
});

test("restore: a backup of an older schema is migrated; one from a newer Keyshift is refused", async () => {
  const dir = tempDir("keyshift-backup-old-");
  const oldDb = join(dir, "old.db");
  const db = new Database(oldDb);
  db.pragma("journal_mode = WAL");
  db.exec(`CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, applied_at INTEGER NOT NULL)`);
  for (let i = 0; i < 2; i++) {
    db.exec(sqliteMigrations[i]!);
    db.prepare(`INSERT INTO schema_migrations VALUES (?, ?)`).run(i + 1, Date.now());
  }
  db.close();
  const oldBackup = join(dir, "old.ksb");
  assert.equal((await createBackup({ dbPath: oldDb, out: oldBackup })).schemaVersion, 2);
  const target = join(dir, "data");
  const r = await restoreInto(target, src.keyring, { input: oldBackup });
  assert.deepEqual([r.schemaVersionBefore, r.schemaVersionAfter], [2, sqliteMigrations.length]);

  const newer = new Database(oldDb);
  newer.prepare(`INSERT INTO schema_migrations VALUES (?, ?)`).run(sqliteMigrations.length + 7, Date.now());
  newer.close();
  await createBackup({ dbPath: oldDb, out: oldBackup });
  await assert.rejects(restoreInto(join(dir, "data2"), src.keyring, { input: oldBackup }), /newer Keyshift/);
  assert.equal(existsSync(join(dir, "data2")), false);
});

test("restore: a data dir holding only the key files copied there counts as fresh; the audit key is installed 0600 like the master key", async () => {
  const dir = tempDir("keyshift-restore-keys-");
  writeFileSync(join(dir, "master.key"), readFileSync(src.keyring), { mode: 0o600 });
  const auditKey = join(tempDir("keyshift-restore-audit-"), "audit.key");
  writeFileSync(auditKey, randomBytes(32), { mode: 0o600 });
  await restoreBackup({ input: backup, dataDir: dir, dbPath: join(dir, "keyshift.db"), keys: fileKeyProvider(join(dir, "master.key")), installAuditKey: { from: auditKey, to: join(dir, "audit.key") } });
  assert.deepEqual(readdirSync(dir).sort(), ["audit.key", "keyshift.db", "master.key"]);
  assert.deepEqual(readFileSync(join(dir, "audit.key")), readFileSync(auditKey));
  assert.equal(statSync(join(dir, "audit.key")).mode & 0o777, 0o600);
  // A differing key file already there is not overwritten without --force.
  const other = tempDir("keyshift-restore-keys2-");
  writeFileSync(join(other, "audit.key"), randomBytes(32), { mode: 0o600 });
  await assert.rejects(
    restoreBackup({ input: backup, dataDir: other, dbPath: join(other, "keyshift.db"), keys: fileKeyProvider(src.keyring), installAuditKey: { from: auditKey, to: join(other, "audit.key") } }),
    /audit\.key exists and differs/,
  );
  assert.deepEqual(readdirSync(other), ["audit.key"]);
});
