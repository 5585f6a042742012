import { randomBytes } from "node:crypto";
import { closeSync, createReadStream, existsSync, fsyncSync, openSync, readdirSync, readFileSync, renameSync, rmdirSync, statSync, unlinkSync, writeSync } from "node:fs";
import { basename, dirname, join, resolve } from "node:path";
import Database from "better-sqlite3";
import type { KeyProvider } from "../crypto/key-provider.js";
import { ensurePrivateDir, writePrivateFile } from "../fs/private-file.js";
import { journalFiles } from "../storage/sqlite/audit-journal.js";
import { migrate } from "../storage/sqlite/connection.js";
import { sqliteMigrations } from "../storage/sqlite/migrations.js";
import { BackupFileError, manifestHash, readHeader, type BackupManifest } from "./backup-file.js";
import { fsyncDir } from "../fs/durable.js";
import { checkMasterKey } from "./master-key-check.js";
import { snapshotFacts } from "./sqlite-snapshot.js";

export interface RestoreOptions {
  /** The backup file. */
  input: string;
  dataDir: string;
  /** Where the store lives (dataDir/keyshift.db). */
  dbPath: string;
  /** The master keys the restored server will use; checked against the backup before anything is placed. */
  keys: KeyProvider;
  /** A keyring file to install at `to` once the restore succeeded (`--master-key FILE`). */
  installKeyring?: { from: string; to: string };
  /** The audit chain's HMAC key file, installed likewise (`--audit-key FILE`); like the master key, never in a backup. */
  installAuditKey?: { from: string; to: string };
  /** Key files a fresh data dir may already hold (copied there on purpose before the restore). */
  keyFiles?: string[];
  /** Replace an existing store in `dataDir`. */
  force?: boolean;
}

export interface RestoreReport {
  manifest: BackupManifest;
  dbPath: string;
  schemaVersionBefore: number;
  schemaVersionAfter: number;
  counts: Record<string, number>;
  checkedDataKeys: number;
}

/** Entries of `dataDir` other than the key files copied there on purpose. */
function unexpectedEntries(dataDir: string, keyFiles: readonly string[]): string[] {
  if (!existsSync(dataDir)) return [];
  const allowed = new Set(["lost+found"]);
  for (const k of keyFiles) if (resolve(dirname(k)) === resolve(dataDir)) allowed.add(basename(k));
  return readdirSync(dataDir).filter((e) => !allowed.has(e));
}

function checkInstall(i: { from: string; to: string } | undefined, force: boolean | undefined): void {
  if (i && existsSync(i.to) && !force && !readFileSync(i.to).equals(readFileSync(i.from))) throw new Error(`${i.to} exists and differs from ${i.from}; remove it or pass --force`);
}

function install(i: { from: string; to: string } | undefined): void {
  if (i && resolve(i.from) !== resolve(i.to)) writePrivateFile(i.to, readFileSync(i.from));
}

/**
 * Restores a backup into `dataDir`. Everything is checked on a temp copy inside the data dir
 * before anything is placed: the checksum (a corrupted or truncated file is refused), SQLite's
 * quick_check, the schema version (a backup from a newer Keyshift is refused, an older one is
 * migrated), and that `keys` unwraps and decrypts a sample of the data keys of every master key
 * id in use (WrongMasterKeyError otherwise). Only then is the copy renamed to `dbPath` (with
 * `force`, over the old store, whose WAL is removed first) and the keyring installed. A failure
 * leaves the data dir as it was (a directory this call created is removed again).
 * The server must not be running on `dataDir` while it runs.
 */
export async function restoreBackup(o: RestoreOptions): Promise<RestoreReport> {
  const { manifest, dbOffset } = readHeader(o.input);
  const size = statSync(o.input).size;
  if (size !== dbOffset + manifest.dbBytes) {
    throw new BackupFileError(`${o.input} is corrupted: ${size < dbOffset + manifest.dbBytes ? "truncated" : "trailing bytes"} (${size} bytes, the manifest says ${dbOffset + manifest.dbBytes})`);
  }
  const keyFiles = [...(o.keyFiles ?? [join(o.dataDir, "master.key"), join(o.dataDir, "audit.key")]), ...[o.installKeyring?.to, o.installAuditKey?.to].filter((f): f is string => f !== undefined)];
  const extra = unexpectedEntries(o.dataDir, keyFiles);
  if (extra.length > 0 && !o.force) throw new Error(`${o.dataDir} is not empty (${extra.slice(0, 5).join(", ")}${extra.length > 5 ? ", ..." : ""}); restore into an empty directory, or pass --force to replace the store in it`);
  checkInstall(o.installKeyring, o.force);
  checkInstall(o.installAuditKey, o.force);

  const createdDir = !existsSync(o.dataDir);
  ensurePrivateDir(o.dataDir);
  const tmp = join(o.dataDir, `.${basename(o.dbPath)}.restore-${randomBytes(6).toString("hex")}.tmp`);
  try {
    const { sha256, ...unsigned } = manifest;
    const hash = manifestHash(unsigned);
    const fd = openSync(tmp, "wx", 0o600);
    try {
      for await (const chunk of createReadStream(o.input, { start: dbOffset })) {
        hash.update(chunk as Buffer);
        for (let off = 0; off < (chunk as Buffer).length; ) off += writeSync(fd, chunk as Buffer, off);
      }
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    if (hash.digest("hex") !== sha256) throw new BackupFileError(`${o.input} is corrupted: checksum mismatch (the file changed after it was written); nothing was restored`);

    const db = new Database(tmp, { fileMustExist: true });
    let before: number;
    let after: number;
    let counts: Record<string, number>;
    let checked: number;
    try {
      const check = db.pragma("quick_check", { simple: true });
      if (check !== "ok") throw new BackupFileError(`${o.input}: the database in the backup fails SQLite's quick_check (${String(check)})`);
      before = snapshotFacts(db).schemaVersion;
      if (before > sqliteMigrations.length) throw new Error(`the backup is from a newer Keyshift (schema version ${before}, this build knows ${sqliteMigrations.length}); restore it with Keyshift ${manifest.keyshiftVersion} or later`);
      migrate(db);
      const facts = snapshotFacts(db);
      after = facts.schemaVersion;
      counts = facts.counts;
      checked = await checkMasterKey(db, o.keys);
    } finally {
      db.close();
    }
    const fd2 = openSync(tmp, "r+");
    try {
      fsyncSync(fd2);
    } finally {
      closeSync(fd2);
    }

    // A WAL left beside the new file would be replayed into it, and an audit journal (storage/sqlite/audit-journal.ts)
    // would be stored on top of the restored chain: the old store goes whole.
    for (const f of [`${o.dbPath}-wal`, `${o.dbPath}-shm`, `${o.dbPath}-journal`]) if (existsSync(f)) unlinkSync(f);
    for (const f of journalFiles(o.dbPath)) unlinkSync(f);
    renameSync(tmp, o.dbPath);
    install(o.installKeyring);
    install(o.installAuditKey);
    fsyncDir(o.dataDir);
    return { manifest, dbPath: o.dbPath, schemaVersionBefore: before, schemaVersionAfter: after, counts, checkedDataKeys: checked };
  } catch (e) {
    for (const f of [tmp, `${tmp}-journal`, `${tmp}-wal`, `${tmp}-shm`]) if (existsSync(f)) unlinkSync(f);
    if (createdDir && readdirSync(o.dataDir).length === 0) rmdirSync(o.dataDir);
    throw e;
  }
}
