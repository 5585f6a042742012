import { outcomeOf as callOutcome } from "../http/call-record.js";
/** How a call ended, for audit queries: answered, refused by authentication or authorization, or failed otherwise. */
export type AuditOutcome = "success" | "denied" | "error";

/**
 * One audited call: who (principal, key, source), what (operation, secret, version), how it
 * ended, never a value. `seq` and `prevHash`/`hash` place it in its chain (one chain per
 * server node): `hash` = HMAC-SHA256(audit key, prevHash + canonical(record)), so a record
 * cannot be edited, dropped, inserted or moved without the chain breaking at that record.
 */
export interface AuditRecord {
  chain: string;
  seq: number;
  /** Epoch ms when the request arrived. */
  time: number;
  requestId: string;
  /** `secretsmanager`, `management`, or `system` (Keyshift acting on its own). */
  api: string;
  operation: string;
  accountId?: string | undefined;
  principalArn?: string | undefined;
  accessKeyId?: string | undefined;
  region?: string | undefined;
  sourceIp: string;
  userAgent: string;
  secretArn?: string | undefined;
  secretName?: string | undefined;
  versionId?: string | undefined;
  versionStage?: string | undefined;
  outcome: AuditOutcome;
  status: number;
  errorCode?: string | undefined;
  durationMs: number;
  prevHash: string;
  hash: string;
}

/** A record before it joins the chain. */
export type AuditEntry = Omit<AuditRecord, "chain" | "seq" | "prevHash" | "hash">;

/**
 * A signed statement "chain `chain` had `seq` records, the last one hashing to `hash`": proves
 * the tail was not cut before it, and anchors verification when retention removed older records.
 */
export interface AuditCheckpoint {
  /** `anchor`: written where records before it were removed on purpose (retention, file rotation); a chain may start after one. */
  kind: "checkpoint" | "anchor";
  chain: string;
  seq: number;
  hash: string;
  time: number;
  /** HMAC-SHA256 (hex) over the fields above, with the audit key. */
  sig: string;
}

/** What `Store.appendAudit` writes in one durable transaction. */
export interface AuditBatch {
  records: readonly AuditRecord[];
  checkpoints: readonly AuditCheckpoint[];
}

/** A chain as stored: its first and last record (or, when retention removed them all, its anchor). */
export interface AuditChainInfo {
  chain: string;
  firstSeq: number;
  lastSeq: number;
  lastHash: string;
}

/** Filters of `Store.queryAudit`; results newest first (time, then chain and seq, descending). */
export interface AuditQuery {
  accountId?: string | undefined;
  chain?: string | undefined;
  secretArn?: string | undefined;
  principalArn?: string | undefined;
  outcome?: AuditOutcome | undefined;
  operations?: readonly string[] | undefined;
  /** Inclusive bounds, epoch ms. */
  since?: number | undefined;
  until?: number | undefined;
  /** Resume strictly after this record (the last one of the previous page). */
  before?: { time: number; chain: string; seq: number } | undefined;
  limit: number;
}

/** `Store.summarizeAudit`: per principal (or per secret), the last time and the number of matching successful calls. */
export interface AuditSummaryQuery {
  accountId: string;
  groupBy: "principal" | "secret";
  secretArn?: string | undefined;
  principalArn?: string | undefined;
  operations?: readonly string[] | undefined;
  since?: number | undefined;
  limit: number;
}

export interface AuditSummaryRow {
  /** The principal ARN or the secret ARN. */
  key: string;
  /** The secret name, when grouped by secret. */
  name?: string | undefined;
  last: number;
  count: number;
}

/** The operations that return a secret value: "who read this secret". */
export const READ_OPERATIONS: readonly string[] = ["GetSecretValue", "BatchGetSecretValue"];

/** A call's audit outcome: refused by authentication or authorization is `denied` (http/call-record.ts outcomeOf). */
export function outcomeOf(status: number, errorCode: string | undefined): AuditOutcome {
  const o = callOutcome({ status, errorCode });
  return o === "success" ? "success" : o === "unauthenticated" || o === "denied" ? "denied" : "error";
}

/**
 * `Store.sealAudit`: entries the store seals into `chain` itself, on top of the record it holds
 * last, in the same transaction that stores them (so sealing happens on the store's writer, off
 * the request thread, and a failed write leaves nothing to re-seal).
 */
export interface AuditSealBatch {
  /** The audit key, hex. */
  key: string;
  chain: string;
  entries: readonly AuditEntry[];
  /** Sign a checkpoint at the new head when it is this many records past the last one... */
  checkpointEvery: number;
  /** ...or now, if the head is past the last one. */
  checkpoint: boolean;
  /** Epoch ms for a checkpoint's time. */
  time: number;
}

/** What `Store.sealAudit` appended: records firstSeq.. with these hashes, linked from prevHash. */
export interface AuditSealResult {
  firstSeq: number;
  prevHash: string;
  hashes: string[];
  checkpoints: AuditCheckpoint[];
}

/** The records an AuditSealResult stands for (for sinks that take whole records). */
export function sealedRecords(chain: string, entries: readonly AuditEntry[], r: AuditSealResult): AuditRecord[] {
  return entries.map((e, i) => recordOf(chain, r.firstSeq + i, i === 0 ? r.prevHash : r.hashes[i - 1]!, r.hashes[i]!, e));
}

/** `e` as record `seq` of `chain` with the given hashes. */
export function recordOf(chain: string, seq: number, prevHash: string, hash: string, e: AuditEntry): AuditRecord {
  // Written out field by field: two object spreads cost more than the HMAC on the request path.
  return {
    chain, seq, time: e.time, requestId: e.requestId, api: e.api, operation: e.operation, accountId: e.accountId, principalArn: e.principalArn,
    accessKeyId: e.accessKeyId, region: e.region, sourceIp: e.sourceIp, userAgent: e.userAgent, secretArn: e.secretArn, secretName: e.secretName,
    versionId: e.versionId, versionStage: e.versionStage, outcome: e.outcome, status: e.status, errorCode: e.errorCode, durationMs: e.durationMs,
    prevHash, hash,
  };
}
