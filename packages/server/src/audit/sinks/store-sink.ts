import type { Store } from "../../storage/store.js";
import type { AuditCheckpoint, AuditRecord, AuditSealBatch, AuditSealResult } from "../records.js";
import type { AuditSink } from "./sink.js";

/** The queryable sink: records in the store, in the same transaction and fsync as other writes of the moment. */
export class StoreSink implements AuditSink {
  readonly name = "store";
  readonly durable = true;

  readonly writeEntries?: (batch: Omit<AuditSealBatch, "key">) => Promise<AuditSealResult>;

  /** With the audit key, and a store that can seal (SQLite), the store seals records on its writer thread. */
  constructor(private readonly store: Store, key?: Buffer) {
    if (!store.appendAudit) throw new Error(`the ${store.kind} store does not keep an audit trail; set audit.store = false`);
    if (key && store.sealAudit) {
      const hex = key.toString("hex");
      this.writeEntries = (batch) => store.sealAudit!({ ...batch, key: hex });
    }
  }

  write(records: readonly AuditRecord[], checkpoints: readonly AuditCheckpoint[]): Promise<void> {
    return this.store.appendAudit!({ records, checkpoints });
  }

  async flush(): Promise<void> {
    await this.store.flushAudit?.();
  }

  async close(): Promise<void> {}
}
