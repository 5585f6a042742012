import { GENESIS, hashCanonical, signCheckpoint } from "../../audit/chain.js";
import type { AuditCheckpoint, AuditEntry, AuditOutcome, AuditRecord, AuditSealResult } from "../../audit/records.js";

/*
 * The SQLite audit layout (migration 5, ADR 12). One row per appended batch ("block": the records
 * of one group commit, as one JSON text), not one row per record: a row per record with indexes
 * on secret, principal and account cost ~80 us of writer CPU per record, which at a few thousand
 * audited reads a second took half of a 2-core machine. Queries find blocks through a coarse key
 * index: one row per (key, chain, group) where a group is GROUP_SEQS consecutive seqs of a chain
 * and a key is `s:<secret ARN>`, `p:<principal ARN>` or `a:<account id>`, written the first time
 * a key shows up in a group — a few rows a second however many records there are.
 */

/** Seqs per index group: the blocks one index row points to (about a second of records under load). */
export const GROUP_SEQS = 4096;

/** A record as stored in a block (the chain is the block's): fields in a fixed order, absent ones null. */
type Tuple = [
  seq: number, time: number, requestId: string, api: string, operation: string, accountId: string | null, principalArn: string | null,
  accessKeyId: string | null, region: string | null, sourceIp: string, userAgent: string, secretArn: string | null, secretName: string | null,
  versionId: string | null, versionStage: string | null, outcome: string, status: number, errorCode: string | null, durationMs: number,
  prevHash: string, hash: string,
];

/** A block ready for `audit_blocks`: one chain's contiguous records. */
export interface AuditBlock {
  chain: string;
  firstSeq: number;
  lastSeq: number;
  minTime: number;
  maxTime: number;
  prevHash: string;
  lastHash: string;
  records: string;
}

/** Index keys of a record: its secret, principal and account. */
export function recordKeys(r: Pick<AuditRecord, "secretArn" | "principalArn" | "accountId">, out: Set<string>): void {
  if (r.secretArn !== undefined) out.add(`s:${r.secretArn}`);
  if (r.principalArn !== undefined) out.add(`p:${r.principalArn}`);
  if (r.accountId !== undefined) out.add(`a:${r.accountId}`);
}

export const groupOf = (seq: number): number => Math.floor(seq / GROUP_SEQS);

/** Splits records into blocks, one per run of one chain. */
export function encodeBlocks(records: readonly AuditRecord[]): AuditBlock[] {
  const blocks: AuditBlock[] = [];
  let start = 0;
  for (let i = 1; i <= records.length; i++) {
    if (i < records.length && records[i]!.chain === records[start]!.chain) continue;
    blocks.push(encodeBlock(records.slice(start, i)));
    start = i;
  }
  return blocks;
}

/** One chain's records (contiguous, ascending) as a block. */
export function encodeBlock(records: readonly AuditRecord[]): AuditBlock {
  const tuples: Tuple[] = new Array(records.length);
  let minTime = Infinity;
  let maxTime = -Infinity;
  for (let i = 0; i < records.length; i++) {
    const r = records[i]!;
    if (r.time < minTime) minTime = r.time;
    if (r.time > maxTime) maxTime = r.time;
    tuples[i] = [
      r.seq, r.time, r.requestId, r.api, r.operation, r.accountId ?? null, r.principalArn ?? null, r.accessKeyId ?? null, r.region ?? null,
      r.sourceIp, r.userAgent, r.secretArn ?? null, r.secretName ?? null, r.versionId ?? null, r.versionStage ?? null, r.outcome, r.status,
      r.errorCode ?? null, r.durationMs, r.prevHash, r.hash,
    ];
  }
  const first = records[0]!;
  const last = records.at(-1)!;
  return { chain: first.chain, firstSeq: first.seq, lastSeq: last.seq, minTime, maxTime, prevHash: first.prevHash, lastHash: last.hash, records: JSON.stringify(tuples) };
}

/** The records of a block, in stored order (verification sees exactly what is stored). */
export function decodeBlock(chain: string, text: string): AuditRecord[] {
  const tuples = JSON.parse(text) as Tuple[];
  const out: AuditRecord[] = new Array(tuples.length);
  for (let i = 0; i < tuples.length; i++) {
    const t = tuples[i]!;
    const r: AuditRecord = { chain, seq: t[0], time: t[1], requestId: t[2], api: t[3], operation: t[4] } as AuditRecord;
    if (t[5] !== null) r.accountId = t[5];
    if (t[6] !== null) r.principalArn = t[6];
    if (t[7] !== null) r.accessKeyId = t[7];
    if (t[8] !== null) r.region = t[8];
    r.sourceIp = t[9];
    r.userAgent = t[10];
    if (t[11] !== null) r.secretArn = t[11];
    if (t[12] !== null) r.secretName = t[12];
    if (t[13] !== null) r.versionId = t[13];
    if (t[14] !== null) r.versionStage = t[14];
    r.outcome = t[15] as AuditOutcome;
    r.status = t[16];
    if (t[17] !== null) r.errorCode = t[17];
    r.durationMs = t[18];
    r.prevHash = t[19];
    r.hash = t[20];
    out[i] = r;
  }
  return out;
}

/** An entry's fields in the order of a record tuple after its seq (and of the canonical form after chain and seq). */
type EntryTuple = [
  time: number, requestId: string, api: string, operation: string, accountId: string | null, principalArn: string | null,
  accessKeyId: string | null, region: string | null, sourceIp: string, userAgent: string, secretArn: string | null, secretName: string | null,
  versionId: string | null, versionStage: string | null, outcome: string, status: number, errorCode: string | null, durationMs: number,
];

/** Entries as the JSON text the writer thread seals (one string crosses the thread boundary, not objects). */
export function encodeEntries(entries: readonly AuditEntry[]): string {
  const out: EntryTuple[] = new Array(entries.length);
  for (let i = 0; i < entries.length; i++) {
    const e = entries[i]!;
    out[i] = [
      e.time, e.requestId, e.api, e.operation, e.accountId ?? null, e.principalArn ?? null, e.accessKeyId ?? null, e.region ?? null, e.sourceIp,
      e.userAgent, e.secretArn ?? null, e.secretName ?? null, e.versionId ?? null, e.versionStage ?? null, e.outcome, e.status, e.errorCode ?? null, e.durationMs,
    ];
  }
  return JSON.stringify(out);
}

/**
 * The texts of the tuples in encodeEntries' output (JSON.stringify of an array of arrays of
 * scalars), each with its brackets: the writer builds a record's canonical form and stored tuple
 * around them instead of serialising every entry again.
 */
export function tupleTexts(text: string): string[] {
  const out: string[] = [];
  const n = text.length;
  let i = 1;
  while (i < n && text.charCodeAt(i) === 0x5b /* [ */) {
    const start = i;
    for (i++; ; i++) {
      const c = text.charCodeAt(i);
      if (c === 0x22 /* " */) {
        for (i++; i < n && text.charCodeAt(i) !== 0x22; i++) if (text.charCodeAt(i) === 0x5c /* \ */) i++;
      } else if (c === 0x5d /* ] */ || i >= n) break;
    }
    out.push(text.slice(start, i + 1));
    i += 2; // past "]" and the "," (or the closing "]")
  }
  return out;
}

/** Where a chain stands: its last record (or anchor), and its last checkpoint's seq. */
export interface ChainHead {
  seq: number;
  hash: string;
  checkpointSeq: number;
}

export const EMPTY_HEAD: ChainHead = { seq: 0, hash: GENESIS, checkpointSeq: 0 };

/**
 * Seals encoded entries (encodeEntries) onto `head`: each record's canonical form is the JSON of
 * [1, chain, seq, ...entry] — exactly `canonical()` of the record, built without an object — and
 * its hash the HMAC of it with the previous hash (chain.ts). Returns the block to store, the keys
 * its records carry, and the answer for the log (with a checkpoint when one is due).
 */
export function sealEntries(
  key: Buffer, chain: string, head: ChainHead, text: string, o: { checkpointEvery: number; checkpoint: boolean; time: number },
): { block: AuditBlock | undefined; keys: Set<string>; result: AuditSealResult } {
  const entries = JSON.parse(text) as EntryTuple[];
  const lines = tupleTexts(text);
  if (lines.length !== entries.length) throw new Error(`sealing audit entries: ${entries.length} entries but ${lines.length} tuples`);
  const tuples: string[] = new Array(lines.length);
  const hashes: string[] = new Array(lines.length);
  const keys = new Set<string>();
  const chainJson = JSON.stringify(chain);
  let seq = head.seq;
  let prev = head.hash;
  let minTime = Infinity;
  let maxTime = -Infinity;
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    const t = entries[i]!;
    // The entry's fields as JSON, without its brackets: JSON.stringify([1, chain, seq, ...t]) and
    // JSON.stringify([seq, ...t, prev, hash]) are these texts joined with commas (hashes are hex).
    const fields = line.slice(1, -1);
    seq++;
    const hash = hashCanonical(key, prev, `[1,${chainJson},${seq},${fields}]`);
    tuples[i] = `[${seq},${fields},"${prev}","${hash}"]`;
    hashes[i] = hash;
    prev = hash;
    if (t[0] < minTime) minTime = t[0];
    if (t[0] > maxTime) maxTime = t[0];
    if (t[10] !== null) keys.add(`s:${t[10]}`);
    if (t[5] !== null) keys.add(`p:${t[5]}`);
    if (t[4] !== null) keys.add(`a:${t[4]}`);
  }
  const checkpoints: AuditCheckpoint[] = [];
  if (seq > head.checkpointSeq && (o.checkpoint || seq - head.checkpointSeq >= o.checkpointEvery)) {
    checkpoints.push(signCheckpoint(key, { kind: "checkpoint", chain, seq, hash: prev, time: o.time }));
  }
  const block = lines.length
    ? { chain, firstSeq: head.seq + 1, lastSeq: seq, minTime, maxTime, prevHash: head.hash, lastHash: prev, records: `[${tuples.join(",")}]` }
    : undefined;
  return { block, keys, result: { firstSeq: head.seq + 1, prevHash: head.hash, hashes, checkpoints } };
}

/** Consecutive blocks of one chain as one block (their records texts joined). */
export function mergeBlocks(blocks: readonly AuditBlock[]): AuditBlock {
  if (blocks.length === 1) return blocks[0]!;
  const first = blocks[0]!;
  const last = blocks.at(-1)!;
  let minTime = Infinity;
  let maxTime = -Infinity;
  for (const b of blocks) {
    if (b.minTime < minTime) minTime = b.minTime;
    if (b.maxTime > maxTime) maxTime = b.maxTime;
  }
  const records = `[${blocks.map((b) => b.records.slice(1, -1)).join(",")}]`;
  return { chain: first.chain, firstSeq: first.firstSeq, lastSeq: last.lastSeq, minTime, maxTime, prevHash: first.prevHash, lastHash: last.lastHash, records };
}
