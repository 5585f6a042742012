import type pg from "pg";
import type { AuditOutcome, AuditBatch, AuditChainInfo, AuditCheckpoint, AuditQuery, AuditRecord, AuditSummaryQuery, AuditSummaryRow } from "../../audit/records.js";
import { inTransaction } from "./transactions.js";

/*
 * The audit trail on PostgreSQL (Store's optional audit methods; same semantics as SQLite's).
 * Each node appends to its own chain (named after its node id, which the store holds as a lock),
 * so several writers never contend for a (chain, seq) and every chain verifies on its own.
 */

const COLUMNS = ["chain", "seq", "time", "request_id", "api", "operation", "account_id", "principal_arn", "access_key_id", "region", "source_ip", "user_agent",
  "secret_arn", "secret_name", "version_id", "version_stage", "outcome", "status", "error_code", "duration_ms", "prev_hash", "hash"] as const;

const upsertCheckpoint = `INSERT INTO audit_checkpoints (chain, seq, kind, hash, time, sig) VALUES ($1, $2, $3, $4, $5, $6)
  ON CONFLICT (chain, seq, kind) DO UPDATE SET hash = excluded.hash, time = excluded.time, sig = excluded.sig`;

/**
 * Appends records and checkpoints in one statement (so one transaction). Appends are contiguous,
 * as on SQLite: the batch's first record must link (prevHash) to the stored record or anchor
 * just before it, else nothing is written and the call fails; a (chain, seq) already stored
 * fails the whole batch (primary key).
 */
export async function appendAudit(pool: pg.Pool, batch: AuditBatch): Promise<void> {
  if (batch.records.length === 0 && batch.checkpoints.length === 0) return;
  const rows = batch.records.map(auditParams);
  const types = ["text", "int8", "int8", "text", "text", "text", "text", "text", "text", "text", "text", "text", "text", "text", "text", "text", "text", "int4", "text", "float8", "text", "text"];
  const k = COLUMNS.length;
  const cp = batch.checkpoints;
  const first = batch.records[0];
  // Column-wise arrays unnested into rows: one round trip for the batch.
  const { rows: out } = await pool.query<{ ok: boolean }>(
    `WITH ok AS (
       SELECT $${k + 7}::int8 IS NULL OR $${k + 7}::int8 <= 1
         OR EXISTS (SELECT 1 FROM audit_records WHERE chain = $${k + 8} AND seq = $${k + 7}::int8 - 1 AND hash = $${k + 9})
         OR EXISTS (SELECT 1 FROM audit_checkpoints WHERE chain = $${k + 8} AND seq = $${k + 7}::int8 - 1 AND kind = 'anchor' AND hash = $${k + 9}) AS ok
     ),
     r AS (INSERT INTO audit_records (${COLUMNS.join(", ")})
       SELECT u.* FROM unnest(${COLUMNS.map((_, i) => `$${i + 1}::${types[i]}[]`).join(", ")}) AS u, ok WHERE ok.ok),
     c AS (INSERT INTO audit_checkpoints (chain, seq, kind, hash, time, sig)
       SELECT u.* FROM unnest($${k + 1}::text[], $${k + 2}::int8[], $${k + 3}::text[], $${k + 4}::text[], $${k + 5}::int8[], $${k + 6}::text[]) AS u, ok WHERE ok.ok
       ON CONFLICT (chain, seq, kind) DO UPDATE SET hash = excluded.hash, time = excluded.time, sig = excluded.sig)
     SELECT ok FROM ok`,
    [
      ...COLUMNS.map((col) => rows.map((r) => r[col])),
      cp.map((c) => c.chain), cp.map((c) => c.seq), cp.map((c) => c.kind), cp.map((c) => c.hash), cp.map((c) => c.time), cp.map((c) => c.sig),
      first?.seq ?? null, first?.chain ?? null, first?.prevHash ?? null,
    ],
  );
  if (!out[0]?.ok) throw new Error(`audit record ${first!.chain}/${first!.seq} does not follow the stored chain`);
}

/**
 * Sends appends one at a time, in call order: a batch's continuity check must see the batch
 * before it committed (SQLite's writer thread orders them the same way). Batches that queued
 * meanwhile and continue one another go out together in one statement (group commit); if it
 * fails they all fail, as a batch sealed on top of a failed one would anyway.
 */
export class AuditAppender {
  private readonly queue: { batch: AuditBatch; resolve: () => void; reject: (e: unknown) => void }[] = [];
  private busy = false;

  constructor(private readonly write: (b: AuditBatch) => Promise<void>) {}

  append(batch: AuditBatch): Promise<void> {
    return new Promise((resolve, reject) => {
      this.queue.push({ batch, resolve, reject });
      void this.drain();
    });
  }

  private async drain(): Promise<void> {
    if (this.busy) return;
    this.busy = true;
    try {
      while (this.queue.length > 0) {
        const group = [this.queue.shift()!];
        let last = group[0]!.batch.records.at(-1);
        while (this.queue.length > 0 && group.length < 256) {
          const next = this.queue[0]!.batch.records;
          const continues = next.length === 0 || (last !== undefined && next[0]!.chain === last.chain && next[0]!.seq === last.seq + 1);
          if (!continues) break;
          group.push(this.queue.shift()!);
          last = next.at(-1) ?? last;
        }
        try {
          await this.write({ records: group.flatMap((g) => g.batch.records), checkpoints: group.flatMap((g) => g.batch.checkpoints) });
          for (const g of group) g.resolve();
        } catch (e) {
          for (const g of group) g.reject(e);
        }
      }
    } finally {
      this.busy = false;
    }
  }
}

export async function auditChains(pool: pg.Pool): Promise<AuditChainInfo[]> {
  const { rows } = await pool.query<{ chain: string; first: number | null; last: number | null; hash: string | null; aseq: number | null; ahash: string | null }>(
    `SELECT c.chain, r.first, r.last, (SELECT hash FROM audit_records WHERE chain = c.chain AND seq = r.last) AS hash, a.seq AS aseq, a.hash AS ahash
     FROM (SELECT chain FROM audit_records UNION SELECT chain FROM audit_checkpoints) c
     LEFT JOIN LATERAL (SELECT MIN(seq) AS first, MAX(seq) AS last FROM audit_records WHERE chain = c.chain) r ON true
     LEFT JOIN LATERAL (SELECT seq, hash FROM audit_checkpoints WHERE chain = c.chain AND kind = 'anchor' ORDER BY seq DESC LIMIT 1) a ON true
     ORDER BY c.chain`,
  );
  const out: AuditChainInfo[] = [];
  for (const r of rows) {
    if (r.last !== null) out.push({ chain: r.chain, firstSeq: r.first!, lastSeq: r.last, lastHash: r.hash! });
    else if (r.aseq !== null) out.push({ chain: r.chain, firstSeq: r.aseq + 1, lastSeq: r.aseq, lastHash: r.ahash! });
  }
  return out;
}

export async function listAuditChain(pool: pg.Pool, chain: string, afterSeq: number, limit: number): Promise<AuditRecord[]> {
  const { rows } = await pool.query<AuditRow>("SELECT * FROM audit_records WHERE chain=$1 AND seq>$2 ORDER BY seq LIMIT $3", [chain, afterSeq, limit]);
  return rows.map(toAuditRecord);
}

export async function listAuditCheckpoints(pool: pg.Pool, chain: string): Promise<AuditCheckpoint[]> {
  const { rows } = await pool.query<AuditCheckpoint>("SELECT * FROM audit_checkpoints WHERE chain=$1 ORDER BY seq, kind", [chain]);
  return rows.map((c) => ({ kind: c.kind, chain: c.chain, seq: c.seq, hash: c.hash, time: c.time, sig: c.sig }));
}

/** WHERE terms of an audit query (every given filter must hold), numbered from $1. */
function filters(q: Partial<AuditQuery>): { where: string[]; args: unknown[] } {
  const where: string[] = [];
  const args: unknown[] = [];
  const add = (sql: (p: string) => string, v: unknown) => {
    args.push(v);
    where.push(sql(`$${args.length}`));
  };
  if (q.accountId !== undefined) add((p) => `account_id = ${p}`, q.accountId);
  if (q.chain !== undefined) add((p) => `chain = ${p}`, q.chain);
  if (q.secretArn !== undefined) add((p) => `secret_arn = ${p}`, q.secretArn);
  if (q.principalArn !== undefined) add((p) => `principal_arn = ${p}`, q.principalArn);
  if (q.outcome !== undefined) add((p) => `outcome = ${p}`, q.outcome);
  if (q.operations?.length) add((p) => `operation = ANY(${p}::text[])`, q.operations);
  if (q.since !== undefined) add((p) => `time >= ${p}`, q.since);
  if (q.until !== undefined) add((p) => `time <= ${p}`, q.until);
  return { where, args };
}

export async function queryAudit(pool: pg.Pool, q: AuditQuery): Promise<AuditRecord[]> {
  const { where, args } = filters(q);
  if (q.before) {
    args.push(q.before.time, q.before.chain, q.before.seq);
    const [t, c, s] = [args.length - 2, args.length - 1, args.length].map((n) => `$${n}`);
    where.push(`(time < ${t} OR (time = ${t} AND (chain < ${c} OR (chain = ${c} AND seq < ${s}))))`);
  }
  args.push(q.limit);
  const sql = `SELECT * FROM audit_records${where.length ? ` WHERE ${where.join(" AND ")}` : ""} ORDER BY time DESC, chain DESC, seq DESC LIMIT $${args.length}`;
  return (await pool.query<AuditRow>(sql, args)).rows.map(toAuditRecord);
}

export async function summarizeAudit(pool: pg.Pool, q: AuditSummaryQuery): Promise<AuditSummaryRow[]> {
  const { where, args } = filters({ ...q, outcome: "success" });
  const col = q.groupBy === "principal" ? "principal_arn" : "secret_arn";
  where.push(`${col} IS NOT NULL`);
  args.push(q.limit);
  const sql = `SELECT ${col} AS key, MAX(secret_name) AS name, MAX(time) AS last, COUNT(*) AS count FROM audit_records WHERE ${where.join(" AND ")}
    GROUP BY ${col} ORDER BY last DESC LIMIT $${args.length}`;
  const { rows } = await pool.query<{ key: string; name: string | null; last: number; count: number }>(sql, args);
  return rows.map((r) => ({ key: r.key, ...(q.groupBy === "secret" && r.name !== null ? { name: r.name } : {}), last: r.last, count: Number(r.count) }));
}

/** Stores the anchor and removes the chain's records up to it and its older checkpoints, in one transaction; returns how many records went. */
export async function pruneAudit(pool: pg.Pool, a: AuditCheckpoint): Promise<number> {
  return inTransaction(pool, async (c) => {
    await c.query(upsertCheckpoint, [a.chain, a.seq, a.kind, a.hash, a.time, a.sig]);
    await c.query("DELETE FROM audit_checkpoints WHERE chain=$1 AND seq<$2", [a.chain, a.seq]);
    return (await c.query("DELETE FROM audit_records WHERE chain=$1 AND seq<=$2", [a.chain, a.seq])).rowCount ?? 0;
  });
}

/* An audit record as a row (columns of audit_records). */

interface AuditRow {
  chain: string;
  seq: number;
  time: number;
  request_id: string;
  api: string;
  operation: string;
  account_id: string | null;
  principal_arn: string | null;
  access_key_id: string | null;
  region: string | null;
  source_ip: string;
  user_agent: string;
  secret_arn: string | null;
  secret_name: string | null;
  version_id: string | null;
  version_stage: string | null;
  outcome: string;
  status: number;
  error_code: string | null;
  duration_ms: number;
  prev_hash: string;
  hash: string;
}

function auditParams(r: AuditRecord): AuditRow {
  return {
    chain: r.chain, seq: r.seq, time: r.time, request_id: r.requestId, api: r.api, operation: r.operation,
    account_id: r.accountId ?? null, principal_arn: r.principalArn ?? null, access_key_id: r.accessKeyId ?? null, region: r.region ?? null,
    source_ip: r.sourceIp, user_agent: r.userAgent, secret_arn: r.secretArn ?? null, secret_name: r.secretName ?? null,
    version_id: r.versionId ?? null, version_stage: r.versionStage ?? null, outcome: r.outcome, status: r.status,
    error_code: r.errorCode ?? null, duration_ms: r.durationMs, prev_hash: r.prevHash, hash: r.hash,
  };
}

function toAuditRecord(r: AuditRow): AuditRecord {
  const opt = <K extends string>(k: K, v: string | null) => (v === null ? {} : ({ [k]: v } as Record<K, string>));
  return {
    chain: r.chain, seq: r.seq, time: r.time, requestId: r.request_id, api: r.api, operation: r.operation,
    ...opt("accountId", r.account_id), ...opt("principalArn", r.principal_arn), ...opt("accessKeyId", r.access_key_id), ...opt("region", r.region),
    sourceIp: r.source_ip, userAgent: r.user_agent,
    ...opt("secretArn", r.secret_arn), ...opt("secretName", r.secret_name), ...opt("versionId", r.version_id), ...opt("versionStage", r.version_stage),
    outcome: r.outcome as AuditOutcome, status: r.status, ...opt("errorCode", r.error_code), durationMs: r.duration_ms, prevHash: r.prev_hash, hash: r.hash,
  };
}
