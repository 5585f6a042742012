import { ServiceError } from "@keyshift/protocol";
import type { CallObserver } from "../http/call-record.js";
import { seal, signCheckpoint } from "./chain.js";
import { entriesOf } from "./entry.js";
import { sealedRecords, type AuditCheckpoint, type AuditEntry, type AuditRecord } from "./records.js";
import type { AuditSink } from "./sinks/sink.js";

export interface AuditLogOptions {
  key: Buffer;
  /** This server's chain (its rotation node id): servers sharing a store keep one chain each. */
  chain: string;
  /** The last record of the chain as stored (seq 0 and GENESIS for a new chain). */
  head: { seq: number; hash: string };
  /** `fail-closed`: a call is answered only once its record is durable, else refused. `best-effort`: never holds or refuses a call. */
  mode: "fail-closed" | "best-effort";
  /** Durable sinks first (the first one is the chain's authority), then mirrors. */
  sinks: readonly AuditSink[];
  checkpointEvery: number;
  checkpointMs: number;
  /** Records per write, at most. */
  maxBatch: number;
  /** best-effort: records waiting beyond this are dropped (counted). */
  maxQueue: number;
  clock: () => number;
  onError: (e: unknown, what: string) => void;
  /** Write latency and queue depth for metrics (metrics/metrics.ts AuditMetricsPort); synchronous, never throws. */
  metrics?: { auditWriteLatency: { observe(seconds: number): void }; auditQueueDepth: { set(n: number): void } };
  /** The account an access key belongs to, if known (records of calls refused before authentication). */
  accountOfKey?: (accessKeyId: string) => string | undefined;
}

export interface AuditStats {
  appended: number;
  failedWrites: number;
  /** Records lost: a failed write in best-effort mode, or a full queue. */
  dropped: number;
  queueDepth: number;
  /** Duration (ms) of the last durable write, and of every write, for metrics. */
  lastWriteMs: number;
  writes: number;
  writeMsTotal: number;
}

interface Pending {
  entry: AuditEntry;
  resolve?: () => void;
  reject?: (e: unknown) => void;
}

/** Batches sent to the store before the previous ones are answered (double buffering plus one). */
const MAX_IN_FLIGHT = 3;

/** A batch on its way to the first durable sink. */
interface Job {
  primary: Promise<Written>;
  /** The failure epoch it was sealed in (sealHere). */
  epoch: number;
}

/** What the first durable sink stored: the chain's new head, the records (built on demand for the other sinks), checkpoints. */
interface Written {
  head: { seq: number; hash: string };
  records: () => AuditRecord[];
  checkpoints: AuditCheckpoint[];
}

const REFUSED = () => new ServiceError("InternalServiceError", "The request could not be recorded in the audit log, so it was not carried out or its answer was withheld.");

/**
 * The audit trail: turns every call into chained records and writes them in batches (group
 * commit). Records of one event-loop turn, and all those arriving while a write is in flight,
 * go out together: one store transaction, one file append and fsync. When the first durable
 * sink can seal (the SQLite store, `writeEntries`), it hashes the entries onto the chain it holds,
 * on its writer thread; otherwise hashes are computed here at write time from the durable head.
 * Either way a failed write leaves no gap: the next batch takes the seqs it would have had.
 */
export class AuditLog {
  /** What the next batch is sealed on, and what the store has. */
  private sealed: { seq: number; hash: string };
  private durableHead: { seq: number; hash: string };
  /** Bumped when a write fails: batches of an older epoch were sealed on records that will not exist. */
  private epoch = 0;
  private inFlight = 0;
  private tail: Promise<void> = Promise.resolve();
  private pending: Pending[] = [];
  private scheduled = false;
  private checkpointDue = false;
  private lastCheckpoint: { seq: number; at: number };
  private readonly durable: AuditSink[];
  private readonly mirrors: AuditSink[];
  private readonly timer: NodeJS.Timeout;
  private idle: (() => void)[] = [];
  private closed = false;
  readonly stats: AuditStats = { appended: 0, failedWrites: 0, dropped: 0, queueDepth: 0, lastWriteMs: 0, writes: 0, writeMsTotal: 0 };

  constructor(private readonly o: AuditLogOptions) {
    this.sealed = { ...o.head };
    this.durableHead = { ...o.head };
    this.lastCheckpoint = { seq: o.head.seq, at: o.clock() };
    this.durable = o.sinks.filter((s) => s.durable);
    this.mirrors = o.sinks.filter((s) => !s.durable);
    this.timer = setInterval(() => {
      if (this.durableHead.seq > this.lastCheckpoint.seq && this.o.clock() - this.lastCheckpoint.at >= this.o.checkpointMs) this.requestCheckpoint();
    }, Math.max(50, Math.min(o.checkpointMs, 10_000)));
    this.timer.unref();
  }

  /** The CallObserver to register: one or more records per call (entry.ts). */
  readonly observe: CallObserver = (c) => {
    const entries = entriesOf(c, this.o.accountOfKey);
    if (entries.length === 1) return this.append(entries[0]!);
    const ps = entries.map((e) => this.append(e)).filter((p): p is Promise<void> => p !== undefined);
    return ps.length ? Promise.all(ps).then(() => undefined) : undefined;
  };

  /** Queues one entry; fail-closed: resolves once it is durable, rejects with a ServiceError when it cannot be. */
  append(entry: AuditEntry): Promise<void> | undefined {
    if (this.closed) return this.o.mode === "fail-closed" ? Promise.reject(REFUSED()) : undefined;
    if (this.o.mode === "fail-closed") {
      return new Promise<void>((resolve, reject) => {
        this.pending.push({ entry, resolve, reject });
        this.schedule();
      });
    }
    if (this.pending.length >= this.o.maxQueue) {
      this.stats.dropped++;
      return undefined;
    }
    this.pending.push({ entry });
    this.schedule();
    return undefined;
  }

  /** The chain's last record as written. */
  current(): { seq: number; hash: string } {
    return { ...this.durableHead };
  }

  /** A signed anchor checkpoint at (seq, hash) (retention, file rotation). */
  anchor(seq: number, hash: string): AuditCheckpoint {
    return signCheckpoint(this.o.key, { kind: "anchor", chain: this.o.chain, seq, hash, time: this.o.clock() });
  }

  requestCheckpoint(): void {
    this.checkpointDue = true;
    this.schedule();
  }

  private schedule(): void {
    this.stats.queueDepth = this.pending.length;
    if (this.scheduled) return;
    this.scheduled = true;
    setImmediate(() => this.drain());
  }

  /**
   * Seals what is pending into batches and sends them, up to MAX_IN_FLIGHT at once: the next
   * batch is already queued at the store while the previous one is being committed, so the
   * store's writer goes from one commit to the next without waiting for this thread.
   */
  private drain(): void {
    this.scheduled = false;
    while ((this.pending.length || this.checkpointDue) && this.inFlight < MAX_IN_FLIGHT) {
      const batch = this.pending.length <= this.o.maxBatch ? this.pending : this.pending.slice(0, this.o.maxBatch);
      this.pending = batch === this.pending ? [] : this.pending.slice(this.o.maxBatch);
      this.stats.queueDepth = this.pending.length;
      this.send(batch);
    }
    if (this.inFlight === 0 && this.pending.length === 0) {
      const waiting = this.idle;
      this.idle = [];
      for (const w of waiting) w();
    }
  }

  private send(batch: Pending[]): void {
    const job = this.durable[0]?.writeEntries ? this.sealThere(batch, this.durable[0]) : this.sealHere(batch);
    if (!job) return;
    job.primary.catch(() => undefined);
    const t0 = performance.now();
    this.inFlight++;
    this.tail = this.tail.then(() => this.settle(batch, job, t0)).finally(() => {
      this.inFlight--;
      if (this.pending.length || this.checkpointDue) this.schedule();
      else if (this.inFlight === 0) {
        const waiting = this.idle;
        this.idle = [];
        for (const w of waiting) w();
      }
    });
  }

  /** Seals the batch on this thread and hands the records to the first durable sink (the chain's authority). */
  private sealHere(batch: Pending[]): Job | undefined {
    let { seq, hash } = this.sealed;
    const records: AuditRecord[] = new Array(batch.length);
    for (let i = 0; i < batch.length; i++) {
      const r = seal(this.o.key, this.o.chain, ++seq, hash, batch[i]!.entry);
      records[i] = r;
      hash = r.hash;
    }
    const now = this.o.clock();
    const checkpoints: AuditCheckpoint[] = [];
    if (seq > this.lastCheckpoint.seq && (this.checkpointDue || seq - this.lastCheckpoint.seq >= this.o.checkpointEvery)) {
      checkpoints.push(signCheckpoint(this.o.key, { kind: "checkpoint", chain: this.o.chain, seq, hash, time: now }));
      this.lastCheckpoint = { seq, at: now };
    }
    this.checkpointDue = false;
    if (records.length === 0 && checkpoints.length === 0) return undefined;
    this.sealed = { seq, hash };
    const written: Written = { head: { seq, hash }, records: () => records, checkpoints };
    // Its writes go out at once; their outcomes are handled in order (settle).
    const primary = this.durable[0] ? Promise.resolve().then(() => this.durable[0]!.write(records, checkpoints)).then(() => written) : Promise.resolve(written);
    return { primary, epoch: this.epoch };
  }

  /**
   * Hands the entries to a sink that seals them itself on top of the chain it holds (the SQLite
   * store, on its writer thread): no hashing here, and a failed write leaves nothing to re-seal.
   */
  private sealThere(batch: Pending[], sink: AuditSink): Job | undefined {
    const checkpoint = this.checkpointDue;
    this.checkpointDue = false;
    if (batch.length === 0 && !checkpoint) return undefined;
    const entries = batch.map((p) => p.entry);
    const primary = Promise.resolve()
      .then(() => sink.writeEntries!({ chain: this.o.chain, entries, checkpointEvery: this.o.checkpointEvery, checkpoint, time: this.o.clock() }))
      .then((r): Written => {
        const head = r.hashes.length ? { seq: r.firstSeq + r.hashes.length - 1, hash: r.hashes.at(-1)! } : this.durableHead;
        let records: AuditRecord[] | undefined;
        return { head, records: () => (records ??= sealedRecords(this.o.chain, entries, r)), checkpoints: r.checkpoints };
      });
    return { primary, epoch: this.epoch };
  }

  private async settle(batch: Pending[], job: Job, t0: number): Promise<void> {
    let failure: unknown;
    let written: Written | undefined;
    try {
      written = await job.primary;
      if (this.durable.length > 1) await Promise.all(this.durable.slice(1).map((s) => s.write(written!.records(), written!.checkpoints)));
    } catch (e) {
      failure = e;
      // One report per failure, not one per batch sealed on top of the failed one.
      if (job.epoch === this.epoch) this.o.onError(e, `audit sink ${written ? "mirror" : this.durable[0]?.name} write failed`);
    }
    const ms = performance.now() - t0;
    this.stats.lastWriteMs = ms;
    this.stats.writes++;
    this.stats.writeMsTotal += ms;
    this.o.metrics?.auditWriteLatency.observe(ms / 1000);
    this.o.metrics?.auditQueueDepth.set(this.pending.length);
    if (written) {
      this.durableHead = written.head;
      const cp = written.checkpoints.at(-1);
      if (cp && cp.seq > this.lastCheckpoint.seq) this.lastCheckpoint = { seq: cp.seq, at: this.o.clock() };
      this.stats.appended += batch.length;
      if (this.mirrors.length) {
        const records = written.records();
        for (const m of this.mirrors) {
          try {
            await m.write(records, written.checkpoints);
          } catch (e) {
            this.o.onError(e, `audit sink ${m.name} write failed`);
          }
        }
      }
    } else {
      // Batches sealed here on top of this one fail at the store too (appends are contiguous); sealing starts again from what is stored.
      if (job.epoch === this.epoch) {
        this.epoch++;
        this.sealed = { ...this.durableHead };
        this.lastCheckpoint = { seq: Math.min(this.lastCheckpoint.seq, this.durableHead.seq), at: this.lastCheckpoint.at };
      }
      if (this.o.mode === "best-effort") this.stats.dropped += batch.length;
    }
    if (failure !== undefined) {
      this.stats.failedWrites++;
      const err = REFUSED();
      for (const p of batch) p.reject?.(err);
    } else {
      for (const p of batch) p.resolve?.();
    }
  }

  /** Resolves once everything queued so far has been written (or failed) and is readable by other processes (sinks' flush). */
  async flush(): Promise<void> {
    await this.drained();
    for (const s of this.durable) await s.flush?.();
  }

  private drained(): Promise<void> {
    if (this.inFlight === 0 && !this.scheduled && this.pending.length === 0 && !this.checkpointDue) return Promise.resolve();
    return new Promise<void>((resolve) => {
      this.idle.push(resolve);
      this.schedule();
    }).then(() => this.drained());
  }

  /** Writes what is queued, seals the chain with a checkpoint, closes the sinks. */
  async close(): Promise<void> {
    clearInterval(this.timer);
    await this.drained();
    if (this.durableHead.seq > this.lastCheckpoint.seq) {
      this.requestCheckpoint();
      await this.drained();
    }
    this.closed = true;
    for (const s of this.o.sinks) {
      try {
        await s.close();
      } catch (e) {
        this.o.onError(e, `closing audit sink ${s.name} failed`);
      }
    }
  }
}
