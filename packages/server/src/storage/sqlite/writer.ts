import type Database from "better-sqlite3";
import { existsSync } from "node:fs";
import type { Sealed } from "../../crypto/envelope.js";
import type { RotatorRegistration } from "../../rotation/records.js";
import type { AccessKeyRecord, AccountRecord, UserPolicyRecord, UserRecord } from "../../secrets/records.js";
import type { ConsumerRecord } from "../../changes/consumers.js";
import { StoreConflict, type AccessBatch, type Change, type WrappedKeyRef } from "../store.js";
import type { AuditCheckpoint, AuditSealResult } from "../../audit/records.js";
import { rotationParams, secretParams } from "./rows.js";
import { EMPTY_HEAD, decodeBlock, encodeBlock, groupOf, mergeBlocks, recordKeys, sealEntries, type AuditBlock, type ChainHead } from "./audit-blocks.js";
import { AuditJournal, journalLine, journalPath, type JournalBlock } from "./audit-journal.js";

/** Every write the store makes, as data (so that it can be sent to the writer thread). */
export type WriteOp =
  | { op: "commit"; changes: readonly Change[] }
  | { op: "recordAccess"; batch: AccessBatch }
  | { op: "insertAccount"; account: AccountRecord }
  | { op: "insertAccessKey"; key: AccessKeyRecord }
  | { op: "deleteAccessKey"; accessKeyId: string }
  | { op: "touchAccessKey"; accessKeyId: string; at: number }
  | { op: "setMeta"; key: string; value: string }
  | { op: "replaceWrappedKey"; ref: WrappedKeyRef; next: Sealed }
  | { op: "putRotator"; rotator: RotatorRegistration }
  | { op: "deleteRotator"; accountId: string; name: string }
  | { op: "putConsumer"; consumer: ConsumerRecord }
  | { op: "setAccessKeyStatus"; accessKeyId: string; status: string }
  | { op: "insertUser"; user: UserRecord }
  | { op: "deleteUser"; accountId: string; userName: string }
  | { op: "putUserPolicy"; policy: UserPolicyRecord }
  | { op: "deleteUserPolicy"; accountId: string; userName: string; policyName: string }
  | { op: "appendAudit"; blocks: readonly AuditBlock[]; checkpoints: readonly AuditCheckpoint[] }
  | { op: "pruneAudit"; anchor: AuditCheckpoint }
  | { op: "sealAudit"; key: string; chain: string; entries: string; checkpointEvery: number; checkpoint: boolean; time: number }
  /**
   * Moves journaled audit blocks into the database (before reads); with a chain, first recovers
   * that chain's journal. Without `sync` (under synchronous=full) the move is committed without an
   * fsync and the journal keeps the blocks; with it the commit is synced and the journal starts again.
   * `limit`: move the oldest blocks only, about this many records (whole blocks), and leave the rest
   * pending; the journal starts again only once nothing is pending.
   */
  | { op: "flushAudit"; chain?: string; sync?: boolean; limit?: number };

export interface WriterOptions {
  /**
   * The database file whose audit journals (audit-journal.ts) this writer keeps: sealAudit then
   * makes a batch durable with one journal append instead of a transaction. Only one writer may
   * journal a chain (the server's writer thread); without it, sealAudit commits directly.
   */
  journalFor?: string;
  /** fdatasync each journal write (default); false under synchronous=normal, like the database's commits. */
  journalSync?: boolean;
}

/** A journaled block not yet in the database, with its index keys (unknown for blocks read back from the file). */
type PendingBlock = JournalBlock & { keys?: Set<string> };

/** A journaled chain: its file, where it stands, and the blocks not yet in the database. */
interface Journaled {
  journal: AuditJournal;
  head: ChainHead;
  pending: PendingBlock[];
  pendingRecords: number;
  /** When the oldest pending block was journaled (ms, performance.now()). */
  since: number;
  /**
   * Since when (ms) the journal holds blocks stored by a commit that was not synced: it may not
   * start again until a synced commit (flushAudit with sync) has made them durable in the database.
   */
  unsyncedSince: number | undefined;
}

/** Records merged into one stored block when journaled blocks move into the database. */
const MERGE_RECORDS = 256;

/** What a write answers: whether it changed something, or what it sealed (sealAudit). */
export type WriteValue = boolean | AuditSealResult | undefined;
/** A write's outcome; errors travel as data and are rebuilt (StoreConflict) on the other side. */
export type WriteResult = { ok: true; value?: WriteValue } | { ok: false; conflict?: StoreConflict["kind"]; message: string; code?: string };

/**
 * Applies writes on one connection. `run` takes a batch and applies it in ONE transaction with a
 * savepoint per write: a write that fails is rolled back alone and answered with its error, the
 * others commit together with a single fsync (group commit).
 */
export class SqliteWriter {
  private readonly s: Record<string, Database.Statement>;

  constructor(private readonly db: Database.Database, private readonly o: WriterOptions = {}) {
    // The audit trail writes a steady stream; checkpointing every 1000 pages (the default) stalls the
    // commits queued behind each checkpoint. 10000 pages (~40 MiB of WAL) makes the stalls rarer and
    // lets rewritten pages (the tail pages of audit_blocks and its indexes) coalesce before they are copied.
    db.pragma("wal_autocheckpoint = 10000");
    const p = (sql: string) => db.prepare(sql);
    this.s = {
      insertSecret: p(`INSERT INTO secrets (uid, account_id, region, name, arn, created_at, last_changed_at, last_accessed_at, deleted_at, deletion_date, primary_uid, revision, rotation_due_at, doc)
        VALUES (@uid, @account_id, @region, @name, @arn, @created_at, @last_changed_at, @last_accessed_at, @deleted_at, @deletion_date, @primary_uid, @revision, @rotation_due_at, @doc)`),
      updateSecret: p(`UPDATE secrets SET name=@name, arn=@arn, last_changed_at=@last_changed_at, last_accessed_at=@last_accessed_at, deleted_at=@deleted_at,
        deletion_date=@deletion_date, primary_uid=@primary_uid, revision=@revision, rotation_due_at=@rotation_due_at, doc=@doc WHERE uid=@uid AND revision=@revision - 1`),
      deleteSecret: p(`DELETE FROM secrets WHERE uid = ?`),
      insertVersion: p(`INSERT INTO versions (secret_uid, version_id, created_at, kind, key_id, wrapped_key, ciphertext) VALUES (?, ?, ?, ?, ?, ?, ?)`),
      setVersionValue: p(`UPDATE versions SET kind=?, key_id=?, wrapped_key=?, ciphertext=? WHERE secret_uid=? AND version_id=?`),
      deleteVersion: p(`DELETE FROM versions WHERE secret_uid=? AND version_id=?`),
      deleteVersionStages: p(`DELETE FROM stages WHERE secret_uid=? AND version_id=?`),
      setStage: p(`INSERT INTO stages (secret_uid, stage, version_id) VALUES (?, ?, ?) ON CONFLICT (secret_uid, stage) DO UPDATE SET version_id = excluded.version_id`),
      removeStage: p(`DELETE FROM stages WHERE secret_uid=? AND stage=?`),
      versionExists: p(`SELECT 1 FROM versions WHERE secret_uid=? AND version_id=?`),
      insertRotation: p(`INSERT INTO rotations (id, secret_uid, account_id, status, started_at, lease_until, revision, doc) VALUES (@id, @secret_uid, @account_id, @status, @started_at, @lease_until, @revision, @doc)`),
      updateRotation: p(`UPDATE rotations SET status=@status, lease_until=@lease_until, revision=@revision, doc=@doc WHERE id=@id AND revision=@revision - 1`),
      touchSecret: p(`UPDATE secrets SET last_accessed_at=? WHERE uid=? AND (last_accessed_at IS NULL OR last_accessed_at < ?)`),
      touchVersion: p(`UPDATE versions SET last_accessed_at=? WHERE secret_uid=? AND version_id=? AND (last_accessed_at IS NULL OR last_accessed_at < ?)`),
      insertAccount: p(`INSERT INTO accounts (id, name, created_at) VALUES (?, ?, ?)`),
      insertAccessKey: p(`INSERT INTO access_keys (access_key_id, account_id, user_name, status, created_at, last_used_at, key_id, wrapped_key, ciphertext) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`),
      deleteAccessKey: p(`DELETE FROM access_keys WHERE access_key_id=?`),
      touchAccessKey: p(`UPDATE access_keys SET last_used_at=? WHERE access_key_id=?`),
      setMeta: p(`INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value`),
      replaceVersionKey: p(`UPDATE versions SET key_id=?, wrapped_key=? WHERE secret_uid=? AND version_id=? AND key_id=? AND wrapped_key=?`),
      replaceAccessKeyKey: p(`UPDATE access_keys SET key_id=?, wrapped_key=? WHERE access_key_id=? AND key_id=? AND wrapped_key=?`),
      putRotator: p(`INSERT INTO rotators (account_id, name, url, created_at) VALUES (?, ?, ?, ?) ON CONFLICT (account_id, name) DO UPDATE SET url = excluded.url`),
      deleteRotator: p(`DELETE FROM rotators WHERE account_id=? AND name=?`),
      setAccessKeyStatus: p(`UPDATE access_keys SET status=? WHERE access_key_id=?`),
      insertUser: p(`INSERT INTO users (account_id, user_name, created_at, doc) VALUES (?, ?, ?, ?)`),
      deleteUser: p(`DELETE FROM users WHERE account_id=? AND user_name=?`),
      deleteUserKeys: p(`DELETE FROM access_keys WHERE account_id=? AND user_name=?`),
      deleteUserPolicies: p(`DELETE FROM user_policies WHERE account_id=? AND user_name=?`),
      putUserPolicy: p(`INSERT INTO user_policies (account_id, user_name, policy_name, document, updated_at) VALUES (?, ?, ?, ?, ?)
        ON CONFLICT (account_id, user_name, policy_name) DO UPDATE SET document = excluded.document, updated_at = excluded.updated_at`),
      deleteUserPolicy: p(`DELETE FROM user_policies WHERE account_id=? AND user_name=? AND policy_name=?`),
      insertAuditBlock: p(`INSERT INTO audit_blocks (chain, first_seq, last_seq, min_time, max_time, last_hash, records) VALUES (?, ?, ?, ?, ?, ?, ?)`),
      insertAuditKey: p(`INSERT OR IGNORE INTO audit_keys (key, chain, grp) VALUES (?, ?, ?)`),
      insertAuditCheckpoint: p(`INSERT OR REPLACE INTO audit_checkpoints (chain, seq, kind, hash, time, sig) VALUES (?, ?, ?, ?, ?, ?)`),
      auditLastBlock: p(`SELECT last_seq, last_hash FROM audit_blocks WHERE chain=? ORDER BY first_seq DESC LIMIT 1`),
      auditLastAnchor: p(`SELECT seq, hash FROM audit_checkpoints WHERE chain=? AND kind='anchor' ORDER BY seq DESC LIMIT 1`),
      auditLastCheckpoint: p(`SELECT MAX(seq) FROM audit_checkpoints WHERE chain=?`),
      auditAnchorAt: p(`SELECT hash FROM audit_checkpoints WHERE chain=? AND seq=? AND kind='anchor'`),
      auditBlockAround: p(`SELECT id, records FROM audit_blocks WHERE chain=? AND first_seq<=? AND last_seq>?`),
      rewriteAuditBlock: p(`UPDATE audit_blocks SET first_seq=?, last_seq=?, min_time=?, max_time=?, last_hash=?, records=? WHERE id=?`),
      pruneAuditBlocks: p(`DELETE FROM audit_blocks WHERE chain=? AND last_seq<=?`),
      pruneAuditKeys: p(`DELETE FROM audit_keys WHERE chain=? AND grp<?`),
      pruneAuditCheckpoints: p(`DELETE FROM audit_checkpoints WHERE chain=? AND seq<?`),
      putConsumer: p(`INSERT INTO consumers (account_id, consumer_id, last_seen, doc) VALUES (?, ?, ?, ?) ON CONFLICT (account_id, consumer_id) DO UPDATE SET last_seen = excluded.last_seen, doc = excluded.doc`),
    };
  }

  /** Key-index rows committed by this writer (audit-blocks.ts): written once per group, not with every batch. */
  private readonly keysWritten = new Set<string>();
  /** What to remember once the transaction commits (nothing of a rolled-back write). */
  private readonly uncommitted: (() => void)[] = [];

  /** Key-index rows of a block starting at `firstSeq` (audit-blocks.ts), each written once per group and remembered once committed. */
  private indexAuditKeys(chain: string, firstSeq: number, keys: Iterable<string>): void {
    const grp = groupOf(firstSeq);
    if (this.keysWritten.size > 100_000) this.keysWritten.clear();
    for (const k of keys) {
      const memo = `${grp}\u0000${chain}\u0000${k}`;
      if (this.keysWritten.has(memo)) continue;
      this.s.insertAuditKey!.run(k, chain, grp);
      this.uncommitted.push(() => this.keysWritten.add(memo));
    }
  }

  /** Where `chain` stands in the database: its last record (or latest anchor, or nothing) and last checkpoint. */
  private auditHead(chain: string): ChainHead {
    const s = this.s;
    const last = s.auditLastBlock!.get(chain) as { last_seq: number; last_hash: string } | undefined;
    const anchor = last ? undefined : (s.auditLastAnchor!.get(chain) as { seq: number; hash: string } | undefined);
    const checkpointSeq = (s.auditLastCheckpoint!.pluck().get(chain) as number | null) ?? 0;
    if (last) return { seq: last.last_seq, hash: last.last_hash, checkpointSeq };
    if (anchor) return { seq: anchor.seq, hash: anchor.hash, checkpointSeq };
    return { ...EMPTY_HEAD, checkpointSeq };
  }

  private readonly journals = new Map<string, Journaled>();
  /**
   * Why journaled records could not be moved into the database, until a later attempt succeeds.
   * Meanwhile nothing more is journaled: the journal stays bounded, and a fail-closed trail refuses
   * calls while its store refuses records, as it did when every batch was a transaction.
   */
  private storeFailure: Error | undefined;

  /**
   * Applies the batch; returns one result per write, in order. Journaled audit seals (WriterOptions)
   * are made durable together by one journal append; every other write goes into one transaction.
   */
  run(batch: readonly WriteOp[]): WriteResult[] {
    if (!this.o.journalFor) return this.transaction(batch);
    const journaled: number[] = [];
    const other: number[] = [];
    for (let i = 0; i < batch.length; i++) (batch[i]!.op === "sealAudit" ? journaled : other).push(i);
    if (journaled.length === 0) return this.transaction(batch);
    const results: WriteResult[] = new Array(batch.length);
    if (other.length) {
      const r = this.transaction(other.map((i) => batch[i]!));
      for (let k = 0; k < other.length; k++) results[other[k]!] = r[k]!;
    }
    const r = this.sealToJournals(journaled.map((i) => batch[i] as Extract<WriteOp, { op: "sealAudit" }>));
    for (let k = 0; k < journaled.length; k++) results[journaled[k]!] = r[k]!;
    return results;
  }

  /**
   * The journal of `chain`, opened on first use. What a previous run left in it (complete lines:
   * acknowledged records) is pending like any journaled block: the next flushAudit stores it, after
   * checking that it follows the stored chain, and new records are sealed on top of it.
   */
  private journaled(chain: string): Journaled {
    let j = this.journals.get(chain);
    if (j) return j;
    const journal = new AuditJournal(journalPath(this.o.journalFor!, chain), chain, this.o.journalSync ?? true);
    const stored = this.auditHead(chain);
    let head = stored;
    let records = 0;
    for (const { block: b, checkpoints } of journal.leftover) {
      for (const c of checkpoints) if (c.seq > head.checkpointSeq) head = { ...head, checkpointSeq: c.seq };
      if (b.lastSeq >= b.firstSeq && b.lastSeq > head.seq) {
        records += b.lastSeq - Math.max(b.firstSeq, head.seq + 1) + 1;
        head = { seq: b.lastSeq, hash: b.lastHash, checkpointSeq: head.checkpointSeq };
      }
    }
    // Pending: the lines with records or checkpoints the database lacks (a move with a limit counts the records of pending
    // blocks). Lines all in the database already (the journal had been stored, then the run ended) stay in the journal until
    // a synced commit, as the commit that stored them may not have been synced.
    const pending = records ? journal.leftover.filter(({ block: b, checkpoints }) => b.lastSeq > stored.seq || checkpoints.some((c) => c.seq > stored.checkpointSeq)) : [];
    const now = performance.now();
    j = { journal, head, pending, pendingRecords: records, since: now, unsyncedSince: !records && journal.leftover.length ? now : undefined };
    this.journals.set(chain, j);
    return j;
  }

  /** A chain's head as the database has it, once this transaction commits (another write path appended to it). */
  private forgetHead(chain: string): void {
    const j = this.journals.get(chain);
    if (j) this.uncommitted.push(() => (j.head = this.auditHead(chain)));
  }

  /** Seals each batch onto its chain's head and makes them durable with one append (and fdatasync) per journal. */
  private sealToJournals(ops: readonly Extract<WriteOp, { op: "sealAudit" }>[]): WriteResult[] {
    const results: WriteResult[] = new Array(ops.length);
    // While the store refuses records, each batch first tries again to move the journal into it.
    if (this.storeFailure) this.transaction([{ op: "flushAudit" }]);
    const staged = new Map<Journaled, { head: ChainHead; lines: string[]; blocks: PendingBlock[]; records: number; at: number[] }>();
    for (let i = 0; i < ops.length; i++) {
      const w = ops[i]!;
      try {
        if (this.storeFailure) throw this.storeFailure;
        const j = this.journaled(w.chain);
        let st = staged.get(j);
        if (!st) staged.set(j, (st = { head: j.head, lines: [], blocks: [], records: 0, at: [] }));
        const { block, keys, result } = sealEntries(Buffer.from(w.key, "hex"), w.chain, st.head, w.entries, w);
        const cp = result.checkpoints.at(-1);
        st.head = { seq: block ? block.lastSeq : st.head.seq, hash: block ? block.lastHash : st.head.hash, checkpointSeq: cp ? cp.seq : st.head.checkpointSeq };
        if (block || result.checkpoints.length) {
          const b = block ?? { chain: w.chain, firstSeq: st.head.seq + 1, lastSeq: st.head.seq, minTime: 0, maxTime: 0, prevHash: st.head.hash, lastHash: st.head.hash, records: "[]" };
          st.lines.push(journalLine(b, result.checkpoints));
          st.blocks.push({ block: b, checkpoints: result.checkpoints, keys });
          st.records += block ? block.lastSeq - block.firstSeq + 1 : 0;
        }
        st.at.push(i);
        results[i] = { ok: true, value: result };
      } catch (e) {
        results[i] = toResult(e);
      }
    }
    for (const [j, st] of staged) {
      try {
        if (st.lines.length) j.journal.append(st.lines.join(""));
      } catch (e) {
        const failed = toResult(e);
        for (const i of st.at) results[i] = failed;
        continue;
      }
      if (j.pending.length === 0) j.since = performance.now();
      j.head = st.head;
      j.pending.push(...st.blocks);
      j.pendingRecords += st.records;
    }
    return results;
  }

  /**
   * Journaled records not yet in the database, and since when (ms, performance.now()) the oldest
   * waits; the bytes of journal kept only until a synced commit, and since when.
   */
  journalBacklog(): { records: number; blocks: number; since: number; unsyncedBytes: number; unsyncedSince: number } {
    let records = 0;
    let blocks = 0;
    let since = Infinity;
    let unsyncedBytes = 0;
    let unsyncedSince = Infinity;
    for (const j of this.journals.values()) {
      records += j.pendingRecords;
      blocks += j.pending.length;
      if (j.pending.length) since = Math.min(since, j.since);
      if (j.unsyncedSince !== undefined) {
        unsyncedBytes += j.journal.length;
        unsyncedSince = Math.min(unsyncedSince, j.unsyncedSince);
      }
    }
    return { records, blocks, since, unsyncedBytes, unsyncedSince };
  }

  /** Whether the current transaction's commit is synced (synchronous=full); see transaction(). */
  private synced = true;

  /**
   * Moves every chain's journaled blocks into the database, in the current transaction. Once it
   * commits, a journal whose blocks are all durable in the database starts again: after a synced
   * commit, or at once when the journal itself is not synced (synchronous=normal). After an
   * unsynced commit it keeps them until a synced one (a sync with nothing new to store writes a
   * meta row, so that the commit has something to sync).
   */
  private storeJournals(limit: number): void {
    const journalSynced = this.o.journalSync ?? true;
    for (const [chain, j] of this.journals) {
      if (limit <= 0) break;
      if (j.pending.length === 0 && !(this.synced && j.unsyncedSince !== undefined)) continue;
      // The oldest blocks, whole, up to `limit` records.
      let take = 0;
      let records = 0;
      while (take < j.pending.length && records < limit) {
        const b = j.pending[take++]!.block;
        records += Math.max(0, b.lastSeq - b.firstSeq + 1);
      }
      limit -= records;
      const moved = take === j.pending.length ? j.pending : j.pending.slice(0, take);
      try {
        if (moved.length) this.storeJournaled(chain, moved);
        else this.s.setMeta!.run(`audit_journal_synced:${chain}`, String(Date.now()));
      } catch (e) {
        this.storeFailure = new Error(`the audit journal ${j.journal.path} cannot be stored: ${(e as Error).message}`);
        throw this.storeFailure;
      }
      const durable = this.synced || !journalSynced;
      this.uncommitted.push(() => {
        this.storeFailure = undefined;
        // Nothing is journaled between storing and this commit (both happen in one run()).
        j.pending = j.pending.slice(take);
        j.pendingRecords = Math.max(0, j.pendingRecords - records);
        // Blocks still pending: the journal keeps every line (it only starts again from its first byte).
        if (j.pending.length) {
          if (!durable) j.unsyncedSince ??= performance.now();
          return;
        }
        j.pendingRecords = 0;
        if (durable) {
          j.journal.clear();
          j.unsyncedSince = undefined;
        } else j.unsyncedSince ??= performance.now();
      });
    }
  }

  /**
   * Stores journaled blocks of `chain` after what the database holds: blocks (or their first
   * records) already stored are skipped (a journal whose emptying was lost), the rest must follow
   * the stored chain, and consecutive ones are merged into blocks of up to MERGE_RECORDS records.
   */
  private storeJournaled(chain: string, blocks: readonly PendingBlock[]): void {
    const s = this.s;
    let head = this.auditHead(chain);
    let run: { block: AuditBlock; keys: Set<string> }[] = [];
    let runRecords = 0;
    const flushRun = () => {
      if (run.length === 0) return;
      const merged = mergeBlocks(run.map((r) => r.block));
      this.insertAuditBlock(merged);
      const keys = new Set<string>();
      for (const r of run) for (const k of r.keys) keys.add(k);
      this.indexAuditKeys(chain, merged.firstSeq, keys);
      run = [];
      runRecords = 0;
    };
    for (const jb of blocks) {
      let b = jb.block;
      for (const c of jb.checkpoints) s.insertAuditCheckpoint!.run(c.chain, c.seq, c.kind, c.hash, c.time, c.sig);
      if (b.lastSeq < b.firstSeq || b.lastSeq <= head.seq) continue;
      let keys = jb.keys;
      const straddles = b.firstSeq <= head.seq;
      if (straddles || !keys) {
        // Its records after the stored head (all of them unless it straddles it), and their keys.
        const kept = decodeBlock(chain, b.records).filter((r) => r.seq > head.seq);
        // Re-encoded, the block links to what its first kept record links to: insertAuditBlock checks that against the head.
        if (straddles) b = encodeBlock(kept);
        keys = new Set<string>();
        for (const r of kept) recordKeys(r, keys);
      }
      const n = b.lastSeq - b.firstSeq + 1;
      if (runRecords && runRecords + n > MERGE_RECORDS) flushRun();
      run.push({ block: b, keys });
      runRecords += n;
      head = { seq: b.lastSeq, hash: b.lastHash, checkpointSeq: head.checkpointSeq };
    }
    flushRun();
  }

  /** Inserts a block after the stored chain: appends are contiguous, so a block sealed on top of one that failed fails too, and the chain never has a gap or a seq twice. */
  private insertAuditBlock(b: AuditBlock): void {
    const s = this.s;
    const last = s.auditLastBlock!.get(b.chain) as { last_seq: number; last_hash: string } | undefined;
    if (last && last.last_seq >= b.firstSeq) {
      throw Object.assign(new Error(`audit record ${b.chain}/${b.firstSeq} already stored`), { code: "SQLITE_CONSTRAINT_PRIMARYKEY" });
    }
    if (b.firstSeq > 1) {
      const prev = last && last.last_seq === b.firstSeq - 1 ? last.last_hash : (s.auditAnchorAt!.pluck().get(b.chain, b.firstSeq - 1) as string | undefined);
      if (prev !== b.prevHash) throw new Error(`audit record ${b.chain}/${b.firstSeq} does not follow the stored chain`);
    }
    s.insertAuditBlock!.run(b.chain, b.firstSeq, b.lastSeq, b.minTime, b.maxTime, b.lastHash, b.records);
  }

  /** Stores what is journaled and closes the journals (what cannot be stored stays journaled for the next start). */
  closeJournals(): void {
    try {
      const b = this.journalBacklog();
      if (b.blocks || b.unsyncedBytes) {
        const [r] = this.transaction([{ op: "flushAudit", sync: true }]);
        if (!r!.ok) throw resultError(r!);
      }
    } finally {
      for (const j of this.journals.values()) j.journal.close();
      this.journals.clear();
    }
  }

  /**
   * Applies the batch in one transaction; returns one result per write, in order. A batch of
   * nothing but unsynced journal moves (flushAudit without sync) commits under synchronous=normal:
   * no fsync, as its records stay durable in the journal; every other commit is synced as configured.
   */
  private transaction(batch: readonly WriteOp[]): WriteResult[] {
    const unsynced = this.o.journalFor !== undefined && (this.o.journalSync ?? true) && batch.every((w) => w.op === "flushAudit" && !w.sync);
    if (!unsynced) return this.transactionAs(batch);
    this.db.pragma("synchronous = normal");
    this.synced = false;
    try {
      return this.transactionAs(batch);
    } finally {
      this.synced = true;
      this.db.pragma("synchronous = full");
    }
  }

  private transactionAs(batch: readonly WriteOp[]): WriteResult[] {
    const results: WriteResult[] = [];
    this.uncommitted.length = 0;
    this.db.exec("BEGIN IMMEDIATE");
    try {
      for (const w of batch) {
        this.db.exec("SAVEPOINT w");
        const mark = this.uncommitted.length;
        try {
          const value = this.apply(w);
          this.db.exec("RELEASE w");
          results.push(value === undefined ? { ok: true } : { ok: true, value });
        } catch (e) {
          this.db.exec("ROLLBACK TO w");
          this.db.exec("RELEASE w");
          this.uncommitted.length = mark;
          results.push(toResult(e));
        }
      }
      this.db.exec("COMMIT");
    } catch (e) {
      if (this.db.inTransaction) this.db.exec("ROLLBACK");
      this.uncommitted.length = 0;
      const failed = toResult(e);
      return batch.map(() => failed);
    }
    for (const f of this.uncommitted) f();
    this.uncommitted.length = 0;
    return results;
  }

  private apply(w: WriteOp): WriteValue {
    const s = this.s;
    switch (w.op) {
      case "commit":
        for (const c of w.changes) this.applyChange(c);
        return undefined;
      case "recordAccess":
        for (const x of w.batch.secrets) s.touchSecret!.run(x.day, x.uid, x.day);
        for (const v of w.batch.versions) s.touchVersion!.run(v.day, v.secretUid, v.versionId, v.day);
        return undefined;
      case "insertAccount":
        s.insertAccount!.run(w.account.id, w.account.name, w.account.createdAt);
        return undefined;
      case "insertAccessKey": {
        const k = w.key;
        s.insertAccessKey!.run(k.accessKeyId, k.accountId, k.userName, k.status, k.createdAt, k.lastUsedAt ?? null, k.sealedSecret.keyId, k.sealedSecret.wrappedKey, k.sealedSecret.ciphertext);
        return undefined;
      }
      case "deleteAccessKey":
        return s.deleteAccessKey!.run(w.accessKeyId).changes > 0;
      case "touchAccessKey":
        s.touchAccessKey!.run(w.at, w.accessKeyId);
        return undefined;
      case "setMeta":
        s.setMeta!.run(w.key, w.value);
        return undefined;
      case "replaceWrappedKey": {
        const { ref, next } = w;
        if (ref.table === "versions") return s.replaceVersionKey!.run(next.keyId, next.wrappedKey, ref.id[0], ref.id[1], ref.sealed.keyId, ref.sealed.wrappedKey).changes === 1;
        return s.replaceAccessKeyKey!.run(next.keyId, next.wrappedKey, ref.id[0], ref.sealed.keyId, ref.sealed.wrappedKey).changes === 1;
      }
      case "putRotator":
        s.putRotator!.run(w.rotator.accountId, w.rotator.name, w.rotator.url, w.rotator.createdAt);
        return undefined;
      case "deleteRotator":
        return s.deleteRotator!.run(w.accountId, w.name).changes > 0;
      case "setAccessKeyStatus":
        return s.setAccessKeyStatus!.run(w.status, w.accessKeyId).changes > 0;
      case "insertUser":
        s.insertUser!.run(w.user.accountId, w.user.userName, w.user.createdAt, JSON.stringify(w.user));
        return undefined;
      case "deleteUser": {
        s.deleteUserKeys!.run(w.accountId, w.userName);
        s.deleteUserPolicies!.run(w.accountId, w.userName);
        return s.deleteUser!.run(w.accountId, w.userName).changes > 0;
      }
      case "putUserPolicy":
        s.putUserPolicy!.run(w.policy.accountId, w.policy.userName, w.policy.policyName, w.policy.document, w.policy.updatedAt);
        return undefined;
      case "deleteUserPolicy":
        return s.deleteUserPolicy!.run(w.accountId, w.userName, w.policyName).changes > 0;
      case "appendAudit": {
        this.storeJournals(Infinity);
        for (const b of w.blocks) this.insertAuditBlock(b);
        for (const b of w.blocks) {
          const keys = new Set<string>();
          for (const r of decodeBlock(b.chain, b.records)) recordKeys(r, keys);
          this.indexAuditKeys(b.chain, b.firstSeq, keys);
        }
        for (const c of w.checkpoints) s.insertAuditCheckpoint!.run(c.chain, c.seq, c.kind, c.hash, c.time, c.sig);
        // A chain written both ways: its journal seals on the head read again.
        for (const b of w.blocks) this.forgetHead(b.chain);
        return undefined;
      }
      case "flushAudit":
        // Recovery only: a chain without a journal file gets one when it first seals.
        if (w.chain !== undefined && this.o.journalFor && existsSync(journalPath(this.o.journalFor, w.chain))) this.journaled(w.chain);
        this.storeJournals(w.limit ?? Infinity);
        return undefined;
      case "sealAudit": {
        const key = Buffer.from(w.key, "hex");
        const head = this.auditHead(w.chain);
        const { block, keys, result } = sealEntries(key, w.chain, head, w.entries, w);
        if (block) {
          s.insertAuditBlock!.run(block.chain, block.firstSeq, block.lastSeq, block.minTime, block.maxTime, block.lastHash, block.records);
          this.indexAuditKeys(w.chain, block.firstSeq, keys);
        }
        for (const c of result.checkpoints) s.insertAuditCheckpoint!.run(c.chain, c.seq, c.kind, c.hash, c.time, c.sig);
        return result;
      }
      case "pruneAudit": {
        this.storeJournals(Infinity);
        const a = w.anchor;
        s.insertAuditCheckpoint!.run(a.chain, a.seq, a.kind, a.hash, a.time, a.sig);
        s.pruneAuditCheckpoints!.run(a.chain, a.seq);
        // The block the anchor falls in keeps its records after the anchor; blocks wholly before it go.
        const straddling = s.auditBlockAround!.get(a.chain, a.seq, a.seq) as { id: number; records: string } | undefined;
        let changed = false;
        if (straddling) {
          const kept = decodeBlock(a.chain, straddling.records).filter((r) => r.seq > a.seq);
          const b = encodeBlock(kept);
          s.rewriteAuditBlock!.run(b.firstSeq, b.lastSeq, b.minTime, b.maxTime, b.lastHash, b.records, straddling.id);
          // Its first seq moved, maybe into the next index group: its keys go there too.
          const keys = new Set<string>();
          for (const r of kept) recordKeys(r, keys);
          this.indexAuditKeys(a.chain, b.firstSeq, keys);
          changed = true;
        }
        s.pruneAuditKeys!.run(a.chain, groupOf(a.seq));
        return s.pruneAuditBlocks!.run(a.chain, a.seq).changes > 0 || changed;
      }
      case "putConsumer":
        s.putConsumer!.run(w.consumer.accountId, w.consumer.consumerId, w.consumer.lastSeen, JSON.stringify(w.consumer));
        return undefined;
    }
  }

  private applyChange(c: Change): void {
    const s = this.s;
    switch (c.op) {
      case "insertSecret":
        s.insertSecret!.run(secretParams(c.secret));
        return;
      case "updateSecret":
        if (s.updateSecret!.run(secretParams(c.secret)).changes !== 1) throw new StoreConflict("revision", c.secret.uid);
        return;
      case "deleteSecret":
        s.deleteSecret!.run(c.uid);
        return;
      case "insertVersion":
        s.insertVersion!.run(c.secretUid, c.versionId, c.createdAt, c.kind ?? null, c.sealed?.keyId ?? null, c.sealed?.wrappedKey ?? null, c.sealed?.ciphertext ?? null);
        return;
      case "setVersionValue":
        if (s.setVersionValue!.run(c.kind, c.sealed.keyId, c.sealed.wrappedKey, c.sealed.ciphertext, c.secretUid, c.versionId).changes !== 1) {
          throw new StoreConflict("missing", `${c.secretUid}/${c.versionId}`);
        }
        return;
      case "deleteVersion":
        s.deleteVersionStages!.run(c.secretUid, c.versionId);
        s.deleteVersion!.run(c.secretUid, c.versionId);
        return;
      case "insertRotation":
        s.insertRotation!.run(rotationParams(c.rotation));
        return;
      case "updateRotation":
        if (s.updateRotation!.run(rotationParams(c.rotation)).changes !== 1) throw new StoreConflict("revision", c.rotation.id);
        return;
      case "setStage":
        if (c.versionId === null) s.removeStage!.run(c.secretUid, c.stage);
        else {
          if (!s.versionExists!.get(c.secretUid, c.versionId)) throw new StoreConflict("missing", `${c.secretUid}/${c.versionId}`);
          s.setStage!.run(c.secretUid, c.stage, c.versionId);
        }
        return;
    }
  }
}

function toResult(e: unknown): WriteResult {
  if (e instanceof StoreConflict) return { ok: false, conflict: e.kind, message: e.message };
  const code = (e as { code?: string }).code;
  const message = String((e as Error).message ?? e);
  if (code === "SQLITE_CONSTRAINT_UNIQUE" || code === "SQLITE_CONSTRAINT_PRIMARYKEY") {
    if (message.includes("secrets.")) return { ok: false, conflict: "name", message };
    if (message.includes("versions.")) return { ok: false, conflict: "version", message };
    if (message.includes("rotations.secret_uid")) return { ok: false, conflict: "rotation", message };
    if (message.includes("users.")) return { ok: false, conflict: "name", message };
  }
  return { ok: false, message, ...(code ? { code } : {}) };
}

/** The error a failed WriteResult stands for. */
export function resultError(r: Extract<WriteResult, { ok: false }>): Error {
  if (r.conflict) return new StoreConflict(r.conflict, r.message);
  const e = new Error(r.message) as Error & { code?: string };
  if (r.code) e.code = r.code;
  return e;
}
