import type { Store } from "../../storage/store.js";
import type { AuditCheckpoint, AuditRecord } from "../records.js";
import type { AuditSink } from "./sink.js";

/** The queryable sink: records in the store, in the same transaction and fsync as other writes of the moment. */
export class StoreSink implements AuditSink {
  readonly name = "store";
  readonly durable = true;

  constructor(private readonly store: Store) {
    if (!store.appendAudit) throw new Error(`the ${store.kind} store does not keep an audit trail; set audit.store = false`);
  }

  write(records: readonly AuditRecord[], checkpoints: readonly AuditCheckpoint[]): Promise<void> {
    return this.store.appendAudit!({ records, checkpoints });
  }

  async close(): Promise<void> {}
}
