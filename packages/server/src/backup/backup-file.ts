import { createHash, type Hash } from "node:crypto";
import { closeSync, createReadStream, openSync, readSync } from "node:fs";
import { createRequire } from "node:module";

/**
 * The backup file: one self-describing file, so that a copy can never lose its manifest.
 *
 *   KEYSHIFT-BACKUP 1\n          magic line
 *   {manifest JSON}\n            one line, at most MAX_MANIFEST_BYTES
 *   <SQLite database>            exactly manifest.dbBytes bytes, a plain SQLite file
 *
 * `sha256` covers the manifest without its own field (as serialized) plus "\n" plus the
 * database bytes, so a flipped byte anywhere that matters is refused on restore. Values in the
 * database stay sealed under data keys wrapped by the master key, which is never in a backup.
 */
export const BACKUP_MAGIC = "KEYSHIFT-BACKUP 1\n";
export const BACKUP_FORMAT = "keyshift-backup/v1";
const MAX_MANIFEST_BYTES = 64 * 1024;

export interface BackupManifest {
  format: typeof BACKUP_FORMAT;
  store: "sqlite";
  /** ISO time the snapshot was taken. */
  createdAt: string;
  keyshiftVersion: string;
  /** Last schema migration applied in the snapshot. */
  schemaVersion: number;
  dbBytes: number;
  /** Rows per table, for a human reading the manifest and for the restore report. */
  counts: Record<string, number>;
  /** Ids (never material) of the master keys that wrap the data keys in the snapshot. */
  masterKeyIds: string[];
  /** Hex SHA-256, see above. */
  sha256: string;
}

export type UnsignedManifest = Omit<BackupManifest, "sha256">;

export class BackupFileError extends Error {}

export function keyshiftVersion(): string {
  return (createRequire(import.meta.url)("../../package.json") as { version: string }).version;
}

/** The hash a manifest's `sha256` must equal, primed with the manifest; feed it the database bytes. */
export function manifestHash(m: UnsignedManifest): Hash {
  return createHash("sha256").update(JSON.stringify(m)).update("\n");
}

export function serializeHeader(m: BackupManifest): Buffer {
  const { sha256, ...rest } = m;
  return Buffer.from(BACKUP_MAGIC + JSON.stringify({ ...rest, sha256 }) + "\n", "utf8");
}

/** Reads and checks the magic line and the manifest; returns the manifest and where the database bytes start. */
export function readHeader(path: string): { manifest: BackupManifest; dbOffset: number } {
  const fd = openSync(path, "r");
  let head: Buffer;
  try {
    const buf = Buffer.alloc(BACKUP_MAGIC.length + MAX_MANIFEST_BYTES + 1);
    head = buf.subarray(0, readSync(fd, buf, 0, buf.length, 0));
  } finally {
    closeSync(fd);
  }
  if (head.subarray(0, BACKUP_MAGIC.length).toString("utf8") !== BACKUP_MAGIC) throw new BackupFileError(`${path} is not a Keyshift backup (no "${BACKUP_MAGIC.trim()}" header)`);
  const end = head.indexOf(0x0a, BACKUP_MAGIC.length);
  if (end < 0) throw new BackupFileError(`${path}: the backup manifest is truncated or corrupted`);
  let manifest: BackupManifest;
  try {
    manifest = JSON.parse(head.subarray(BACKUP_MAGIC.length, end).toString("utf8")) as BackupManifest;
  } catch {
    throw new BackupFileError(`${path}: the backup manifest is corrupted (not JSON)`);
  }
  if (manifest.format !== BACKUP_FORMAT) throw new BackupFileError(`${path}: unsupported backup format ${String(manifest.format)} (this Keyshift reads ${BACKUP_FORMAT})`);
  if (manifest.store !== "sqlite" || !Number.isSafeInteger(manifest.dbBytes) || manifest.dbBytes <= 0 || typeof manifest.sha256 !== "string" || !Number.isInteger(manifest.schemaVersion)) {
    throw new BackupFileError(`${path}: the backup manifest is corrupted (missing or invalid fields)`);
  }
  return { manifest, dbOffset: end + 1 };
}

/** Hex digest of a file's bytes from `start` on, added to `hash`. */
export async function hashFile(hash: Hash, path: string, start = 0): Promise<string> {
  for await (const chunk of createReadStream(path, { start })) hash.update(chunk as Buffer);
  return hash.digest("hex");
}
