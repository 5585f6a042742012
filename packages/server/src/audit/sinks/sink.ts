import type { AuditCheckpoint, AuditRecord, AuditSealBatch, AuditSealResult } from "../records.js";

/**
 * Where audit records go. A sink gets each batch once, in chain order. `durable` sinks are
 * awaited before the calls of the batch are answered (fail-closed); the others are mirrors fed
 * after the chain advanced, and never hold an answer.
 */
export interface AuditSink {
  readonly name: string;
  readonly durable: boolean;
  /** Persists the batch (records and/or checkpoints); rejects if it could not. */
  write(records: readonly AuditRecord[], checkpoints: readonly AuditCheckpoint[]): Promise<void> | void;
  /**
   * Optional, used when this sink is the first durable one (the chain's authority): seals the
   * entries onto the chain it holds and persists them, off the request thread (Store.sealAudit).
   */
  writeEntries?(batch: Omit<AuditSealBatch, "key">): Promise<AuditSealResult>;
  /** Optional: makes what was written readable by other processes, if it is not already (the SQLite store's journal). */
  flush?(): Promise<void>;
  close(): Promise<void>;
}
