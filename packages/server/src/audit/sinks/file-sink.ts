import { closeSync, existsSync, fstatSync, openSync, readSync, renameSync, statSync, unlinkSync } from "node:fs";
import { open, type FileHandle } from "node:fs/promises";
import { formatLines, parseLine } from "../lines.js";
import type { AuditCheckpoint, AuditRecord } from "../records.js";
import type { AuditSink } from "./sink.js";

export interface FileSinkOptions {
  path: string;
  /** The file is rotated (to path.1, path.1 to path.2, ...) before a batch would take it past this size. */
  maxBytes: number;
  /** Rotated files kept; the oldest beyond them is deleted. */
  maxFiles: number;
  /** fdatasync after each batch (needed for fail-closed to mean durable). */
  fsync: boolean;
  /** A signed anchor for the record before `first`: written at the top of each new file so that the file verifies alone. */
  anchor: (seq: number, hash: string) => AuditCheckpoint;
}

/** The files of a rotated log, oldest first: path.N, ..., path.1, path. */
export function logFiles(path: string): string[] {
  const out: string[] = [];
  for (let i = 1; existsSync(`${path}.${i}`); i++) out.unshift(`${path}.${i}`);
  if (existsSync(path)) out.push(path);
  return out;
}

/** The last record of a rotated log (its chain head after a restart), reading only the end of the files. */
export function lastRecordInFiles(path: string): AuditRecord | undefined {
  for (const f of logFiles(path).reverse()) {
    const fd = openSync(f, "r");
    try {
      const size = fstatSync(fd).size;
      const len = Math.min(size, 1 << 20);
      const buf = Buffer.alloc(len);
      readSync(fd, buf, 0, len, size - len);
      const lines = buf.toString("utf8").split("\n");
      for (let i = lines.length - 1; i >= (len < size ? 1 : 0); i--) {
        const l = lines[i]!.trim();
        if (!l) continue;
        const p = parseLine(l);
        if ("record" in p) return p.record;
      }
    } finally {
      closeSync(fd);
    }
  }
  return undefined;
}

/**
 * A JSON-lines file (0600) with size-based rotation. Each batch is one append (and one
 * fdatasync when `fsync`), so a batch is never split across files.
 */
export class FileSink implements AuditSink {
  readonly name = "file";
  readonly durable = true;
  private fh: FileHandle | undefined;
  private size = 0;

  constructor(private readonly o: FileSinkOptions) {}

  private async handle(): Promise<FileHandle> {
    if (!this.fh) {
      this.fh = await open(this.o.path, "a", 0o600);
      this.size = (await this.fh.stat()).size;
    }
    return this.fh;
  }

  async write(records: readonly AuditRecord[], checkpoints: readonly AuditCheckpoint[]): Promise<void> {
    let text = formatLines(records, checkpoints);
    if (!text) return;
    let fh = await this.handle();
    const first = records[0];
    if (first && this.size > 0 && this.size + Buffer.byteLength(text) > this.o.maxBytes) {
      await this.rotate();
      fh = await this.handle();
    }
    if (first && this.size === 0 && first.seq > 1) text = formatLines([], [this.o.anchor(first.seq - 1, first.prevHash)]) + text;
    const buf = Buffer.from(text, "utf8");
    await fh.write(buf, 0, buf.length);
    this.size += buf.length;
    if (this.o.fsync) await fh.datasync();
  }

  private async rotate(): Promise<void> {
    await this.fh?.close();
    this.fh = undefined;
    const p = this.o.path;
    if (existsSync(`${p}.${this.o.maxFiles}`)) unlinkSync(`${p}.${this.o.maxFiles}`);
    for (let i = this.o.maxFiles - 1; i >= 1; i--) if (existsSync(`${p}.${i}`)) renameSync(`${p}.${i}`, `${p}.${i + 1}`);
    if (existsSync(p) && statSync(p).size > 0) renameSync(p, `${p}.1`);
  }

  async close(): Promise<void> {
    await this.fh?.close();
    this.fh = undefined;
  }
}
