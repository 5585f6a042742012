import { join } from "node:path";
import type { Config } from "../config/schema.js";
import type { Store } from "../storage/store.js";
import { AuditLog, type AuditLogOptions } from "./audit-log.js";
import { GENESIS, loadAuditKey } from "./chain.js";
import { pruneAuditTrail } from "./retention.js";
import { FileSink, lastRecordInFiles } from "./sinks/file-sink.js";
import { HttpSink } from "./sinks/http-sink.js";
import type { AuditSink } from "./sinks/sink.js";
import { StdoutSink } from "./sinks/stdout-sink.js";
import { StoreSink } from "./sinks/store-sink.js";

export function auditKeyPath(config: Config): string {
  return config.audit.keyFile ?? join(config.dataDir, "audit.key");
}

/** The chain a server writes: one per node, named after its rotation node id. */
export function auditChainOf(config: Config): string {
  return config.rotation.nodeId;
}

export interface AuditTrail {
  log: AuditLog;
  /** Runs retention once now (also hourly); resolves with the records deleted. */
  pruneNow(): Promise<number>;
  close(): Promise<void>;
}

/**
 * Builds the audit trail the configuration asks for, resuming the chain where the store (or,
 * without the store sink, the file) left it; undefined when audit is off.
 */
export async function auditFromConfig(config: Config, store: Store, o: { clock: () => number; onError: (e: unknown, what: string) => void; accountOfKey?: (accessKeyId: string) => string | undefined; metrics?: AuditLogOptions["metrics"] }): Promise<AuditTrail | undefined> {
  const a = config.audit;
  if (!a.enabled) return undefined;
  const key = loadAuditKey(auditKeyPath(config), true);
  const chain = auditChainOf(config);
  let head = { seq: 0, hash: GENESIS };
  if (a.store) {
    if (!store.auditChains) throw new Error(`the ${store.kind} store does not keep an audit trail; set audit.store = false`);
    const c = (await store.auditChains()).find((x) => x.chain === chain);
    if (c) head = { seq: c.lastSeq, hash: c.lastHash };
  } else if (a.file) {
    const last = lastRecordInFiles(a.file.path);
    if (last) head = { seq: last.seq, hash: last.hash };
  }
  const sinks: AuditSink[] = [];
  // Filled in below: the file sink signs its anchors with the log's key.
  let log: AuditLog | undefined;
  if (a.store) sinks.push(new StoreSink(store, key));
  if (a.file) sinks.push(new FileSink({ path: a.file.path, maxBytes: a.file.maxBytes, maxFiles: a.file.maxFiles, fsync: a.file.fsync, anchor: (seq, hash) => log!.anchor(seq, hash) }));
  if (a.stdout) sinks.push(new StdoutSink());
  if (a.http) {
    sinks.push(new HttpSink({
      url: a.http.url, batchSize: a.http.batchSize, flushMs: a.http.flushSeconds * 1000, timeoutMs: a.http.timeoutSeconds * 1000,
      maxBuffer: a.http.maxBuffer, headers: a.http.headers, onError: (e) => o.onError(e, "audit HTTP sink delivery failed"),
    }));
  }
  log = new AuditLog({
    key, chain, head, mode: a.mode, sinks, checkpointEvery: a.checkpointEvery, checkpointMs: a.checkpointSeconds * 1000,
    maxBatch: a.maxBatch, maxQueue: a.maxQueue, clock: o.clock, onError: o.onError, ...(o.accountOfKey ? { accountOfKey: o.accountOfKey } : {}), ...(o.metrics ? { metrics: o.metrics } : {}),
  });
  const trail = log;
  const pruneNow = async () => (a.retentionDays > 0 && a.store ? pruneAuditTrail(store, trail, chain, o.clock() - a.retentionDays * 86_400_000) : 0);
  const timer = setInterval(() => void pruneNow().catch((e) => o.onError(e, "audit retention failed")), 3600_000);
  timer.unref();
  if (a.retentionDays > 0) void pruneNow().catch((e) => o.onError(e, "audit retention failed"));
  return {
    log: trail,
    pruneNow,
    close: async () => {
      clearInterval(timer);
      await trail.close();
    },
  };
}
