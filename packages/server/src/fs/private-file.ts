import { closeSync, fsyncSync, mkdirSync, openSync, renameSync, statSync, chmodSync, unlinkSync } from "node:fs";
import { dirname, join, basename } from "node:path";
import { randomBytes } from "node:crypto";
import { fsyncDir, writeAll } from "./durable.js";

/**
 * Writes a file that holds keys or credentials: created 0600 from the first byte (never
 * world-readable, not even briefly), fsynced, then renamed over the target so that readers see
 * the old or the new content, never a mix; the directory is fsynced so the rename survives a crash.
 */
export function writePrivateFile(path: string, data: string | Buffer): void {
  const dir = dirname(path);
  ensurePrivateDir(dir);
  const tmp = join(dir, `.${basename(path)}.${randomBytes(6).toString("hex")}.tmp`);
  const fd = openSync(tmp, "wx", 0o600);
  try {
    writeAll(fd, typeof data === "string" ? Buffer.from(data, "utf8") : data);
    fsyncSync(fd);
  } catch (e) {
    closeSync(fd);
    unlinkSync(tmp);
    throw e;
  }
  closeSync(fd);
  renameSync(tmp, path);
  chmodSync(path, 0o600);
  fsyncDir(dir);
}

/** Creates `dir` (and parents) with mode 0700 if it does not exist; an existing directory is left as it is. */
export function ensurePrivateDir(dir: string): void {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
}

/** Identity of a file's current content for cheap change detection (inode, size, mtime). */
export function fileStamp(path: string): string | undefined {
  try {
    const s = statSync(path, { bigint: true });
    return `${s.ino}:${s.size}:${s.mtimeNs}`;
  } catch {
    return undefined;
  }
}
