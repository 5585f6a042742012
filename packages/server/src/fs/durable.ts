import { closeSync, fsyncSync, openSync, writeSync } from "node:fs";

/** Writes all of `buf` to `fd` (at `position`, or at the file's offset), however many writes it takes. */
export function writeAll(fd: number, buf: Buffer, position?: number): void {
  for (let off = 0; off < buf.length; ) off += writeSync(fd, buf, off, buf.length - off, position === undefined ? null : position + off);
}

/** fsyncs a directory, so that the files created, renamed or removed in it survive a crash. */
export function fsyncDir(dir: string): void {
  const fd = openSync(dir, "r");
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}
