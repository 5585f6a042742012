import { closeSync, existsSync, fdatasyncSync, fstatSync, fsyncSync, openSync, readdirSync, readSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import { crc32 } from "node:zlib";
import { fsyncDir, writeAll } from "../../fs/durable.js";
import type { AuditCheckpoint } from "../../audit/records.js";
import type { AuditBlock } from "./audit-blocks.js";

/*
 * The audit journal of one chain (ADR 12): the durable half of a fail-closed audit write on the
 * SQLite store. The writer thread writes each sealed batch as one line and fdatasyncs the file
 * (one write and one fdatasync per group commit: ~10 us of CPU and a few hundred of waiting),
 * answers, and moves the journaled blocks into `audit_blocks` about ten times a second (in steps
 * of a few hundred records, writer-thread.ts), after which the journal starts again from its first byte. A SQLite commit per
 * group commit costs ten times the CPU (frames, locks, index pages), which on a small machine is
 * taken from the requests.
 *
 * The file is preallocated with zeros and overwritten in place, never truncated or extended
 * while it fits: an fdatasync that changes no file size or block map needs no filesystem journal
 * commit, which halves its latency and keeps it out of the way of the database's own fsyncs.
 *
 * A line: the CRC-32 of the rest (8 hex digits), a space, JSON [chain, firstSeq, lastSeq, minTime,
 * maxTime, prevHash, lastHash, checkpoints], a tab, the block's records text (audit-blocks.ts), a
 * newline. Reading stops at the first line that is cut, fails its checksum, or does not continue
 * the one before it (the zeros after the end, or lines of an earlier round that are already in the
 * database). A line cut by a crash was never acknowledged: its fdatasync had not returned.
 */

export interface JournalBlock {
  block: AuditBlock;
  checkpoints: AuditCheckpoint[];
}

/** Bytes preallocated for a journal: several tenths of a second of records at full speed (it starts again every tenth); a longer journal grows the file. */
export const JOURNAL_PREALLOCATE = 4 << 20;

/** Where the journal of `chain` lives, beside the database file. */
export function journalPath(dbPath: string, chain: string): string {
  return join(dirname(dbPath), `${basename(dbPath)}-audit-${Buffer.from(chain, "utf8").toString("base64url")}.journal`);
}

/** The journal files beside the database file (every chain's). */
export function journalFiles(dbPath: string): string[] {
  const dir = dirname(dbPath);
  const prefix = `${basename(dbPath)}-audit-`;
  return readdirSync(dir).filter((f) => f.startsWith(prefix) && f.endsWith(".journal")).map((f) => join(dir, f));
}

/** A journal line for a sealed block and the checkpoints sealed with it. */
export function journalLine(b: AuditBlock, checkpoints: readonly AuditCheckpoint[]): string {
  const body = `${JSON.stringify([b.chain, b.firstSeq, b.lastSeq, b.minTime, b.maxTime, b.prevHash, b.lastHash, checkpoints])}\t${b.records}`;
  return `${crc32(body).toString(16).padStart(8, "0")} ${body}\n`;
}

/** The line's block, or undefined when it is not a whole, intact line. */
function parseLine(line: string): JournalBlock | undefined {
  if (line.length < 10 || line[8] !== " ") return undefined;
  const body = line.slice(9);
  if (crc32(body).toString(16).padStart(8, "0") !== line.slice(0, 8)) return undefined;
  const tab = body.indexOf("\t");
  if (tab < 0) return undefined;
  try {
    const [chain, firstSeq, lastSeq, minTime, maxTime, prevHash, lastHash, checkpoints] = JSON.parse(body.slice(0, tab)) as [string, number, number, number, number, string, string, AuditCheckpoint[]];
    return { block: { chain, firstSeq, lastSeq, minTime, maxTime, prevHash, lastHash, records: body.slice(tab + 1) }, checkpoints };
  } catch {
    return undefined;
  }
}

/** The journaled blocks of `chain` at the start of `bytes`: whole, intact lines, each continuing the one before. */
export function readJournal(bytes: Buffer, chain: string): JournalBlock[] {
  const out: JournalBlock[] = [];
  let at = 0;
  for (;;) {
    const nl = bytes.indexOf(0x0a, at);
    if (nl < 0) break;
    const jb = parseLine(bytes.toString("utf8", at, nl));
    if (!jb || jb.block.chain !== chain) break;
    const prev = out.at(-1)?.block;
    if (prev && (jb.block.firstSeq !== prev.lastSeq + 1 || jb.block.prevHash !== prev.lastHash)) break;
    out.push(jb);
    at = nl + 1;
  }
  return out;
}

export class AuditJournal {
  private readonly fd: number;
  /** Where the next line goes: the end of the lines written since the journal last started again. */
  private offset = 0;
  /** The file's size (preallocated, or grown past it). */
  private size: number;
  private broken: Error | undefined;
  /** The lines found on open (acknowledged records of an earlier run; some may already be in the database). */
  readonly leftover: JournalBlock[];

  /** `sync`: fdatasync each write (the store's synchronous=full); without it a write survives a crash of the process but not of the machine (synchronous=normal). */
  constructor(readonly path: string, chain: string, private readonly sync = true) {
    const created = !existsSync(path);
    this.fd = openSync(path, created ? "wx+" : "r+", 0o600);
    this.size = fstatSync(this.fd).size;
    this.leftover = this.size ? readJournal(readAll(this.fd, this.size), chain) : [];
    if (this.size < JOURNAL_PREALLOCATE) {
      const zeros = Buffer.alloc(JOURNAL_PREALLOCATE - this.size);
      writeAll(this.fd, zeros, this.size);
      fsyncSync(this.fd);
      this.size = JOURNAL_PREALLOCATE;
    }
    if (created) fsyncDir(dirname(path));
    // The leftover lines stay where they are until they are stored: new lines follow them.
    for (const jb of this.leftover) this.offset += Buffer.byteLength(journalLine(jb.block, jb.checkpoints), "utf8");
  }

  /** Bytes of lines in the journal (since it last started again). */
  get length(): number {
    return this.offset;
  }

  /** Writes the lines after the journal's last one and makes them durable; throws when they may not be (and every later write throws too). */
  append(lines: string): void {
    if (this.broken) throw this.broken;
    const buf = Buffer.from(lines, "utf8");
    // Whatever follows the new lines must not read as their continuation: a newline ends them (the zeros after it fail the checksum).
    const grows = this.offset + buf.length > this.size;
    writeAll(this.fd, buf, this.offset);
    try {
      // Past the preallocated size the file grows, and fsync also makes its new size durable.
      if (grows) fsyncSync(this.fd);
      else if (this.sync) fdatasyncSync(this.fd);
    } catch (e) {
      // After a failed fdatasync the kernel may have dropped the dirty pages: nothing written since can be trusted.
      this.broken = new Error(`the audit journal ${this.path} could not be synced: ${(e as Error).message}`);
      throw this.broken;
    }
    this.offset += buf.length;
    if (this.offset > this.size) this.size = this.offset;
  }

  /**
   * Starts the journal again from its first byte once its blocks are committed to the database.
   * The old lines stay until overwritten; on reading they are either overwritten, cut off where the
   * new lines end (a new line never continues an old one: their seqs are lower), or already stored.
   */
  clear(): void {
    this.offset = 0;
  }

  close(): void {
    closeSync(this.fd);
  }
}

function readAll(fd: number, size: number): Buffer {
  const buf = Buffer.alloc(size);
  let off = 0;
  while (off < size) {
    const n = readSync(fd, buf, off, size - off, off);
    if (n === 0) break;
    off += n;
  }
  return buf.subarray(0, off);
}
