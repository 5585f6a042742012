import { randomBytes } from "node:crypto";
import { chmodSync, closeSync, createReadStream, existsSync, fsyncSync, openSync, renameSync, statSync, unlinkSync } from "node:fs";
import { basename, dirname, join, resolve } from "node:path";
import Database from "better-sqlite3";
import { fsyncDir, writeAll } from "../fs/durable.js";
import { ensurePrivateDir } from "../fs/private-file.js";
import { BACKUP_FORMAT, hashFile, keyshiftVersion, manifestHash, serializeHeader, type BackupManifest, type UnsignedManifest } from "./backup-file.js";
import { snapshotFacts, snapshotSqlite } from "./sqlite-snapshot.js";

export interface CreateBackupOptions {
  /** The live database (dataDir/keyshift.db). */
  dbPath: string;
  /** The backup file to write; replaced atomically if it exists. */
  out: string;
  now?: () => number;
}

/**
 * Writes a backup of the embedded store while the server may be running and writing: a
 * snapshot (VACUUM INTO, one read transaction) into a 0600 temp file beside `out`, its manifest,
 * then header + snapshot into a second 0600 temp file, fsynced and renamed over `out`. A crash
 * or error at any point leaves `out` as it was (and no temp file behind, except after kill -9).
 * Returns the manifest written.
 */
export async function createBackup(o: CreateBackupOptions): Promise<BackupManifest> {
  if (!existsSync(o.dbPath)) throw new Error(`no Keyshift store at ${o.dbPath}`);
  const out = resolve(o.out);
  const dir = dirname(out);
  ensurePrivateDir(dir);
  const tag = randomBytes(6).toString("hex");
  const snap = join(dir, `.${basename(out)}.${tag}.snapshot.tmp`);
  const tmp = join(dir, `.${basename(out)}.${tag}.tmp`);
  try {
    closeSync(openSync(snap, "wx", 0o600));
    const createdAt = new Date((o.now ?? Date.now)()).toISOString();
    snapshotSqlite(o.dbPath, snap);
    const db = new Database(snap, { readonly: true, fileMustExist: true });
    let facts;
    try {
      facts = snapshotFacts(db);
    } finally {
      db.close();
    }
    const unsigned: UnsignedManifest = {
      format: BACKUP_FORMAT, store: "sqlite", createdAt, keyshiftVersion: keyshiftVersion(),
      schemaVersion: facts.schemaVersion, dbBytes: statSync(snap).size, counts: facts.counts, masterKeyIds: facts.masterKeyIds,
    };
    const manifest: BackupManifest = { ...unsigned, sha256: await hashFile(manifestHash(unsigned), snap) };
    const fd = openSync(tmp, "wx", 0o600);
    try {
      writeAll(fd, serializeHeader(manifest));
      for await (const chunk of createReadStream(snap)) writeAll(fd, chunk as Buffer);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, out);
    chmodSync(out, 0o600);
    fsyncDir(dir);
    return manifest;
  } finally {
    for (const f of [snap, `${snap}-journal`, tmp]) if (existsSync(f)) unlinkSync(f);
  }
}

