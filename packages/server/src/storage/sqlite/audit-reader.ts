import type Database from "better-sqlite3";
import type { AuditChainInfo, AuditCheckpoint, AuditQuery, AuditRecord, AuditSummaryQuery, AuditSummaryRow } from "../../audit/records.js";
import { GROUP_SEQS, decodeBlock } from "./audit-blocks.js";

interface BlockMeta {
  id: number;
  chain: string;
  min_time: number;
  max_time: number;
}

/** Newest first: time, then chain, then seq, descending (the order of `Store.queryAudit`). */
function newerFirst(a: AuditRecord, b: AuditRecord): number {
  return b.time - a.time || (a.chain < b.chain ? 1 : a.chain > b.chain ? -1 : 0) || b.seq - a.seq;
}

/**
 * Reads of the SQLite audit trail (audit-blocks.ts): blocks found through the key index or by
 * time, decoded and filtered here. `queryAudit` walks blocks newest first (by their latest record)
 * and stops once no remaining block can hold a record newer than the page it has.
 */
export class SqliteAuditReader {
  private readonly stmts = new Map<string, Database.Statement>();

  constructor(private readonly db: Database.Database) {}

  private stmt(sql: string): Database.Statement {
    let st = this.stmts.get(sql);
    if (!st) this.stmts.set(sql, (st = this.db.prepare(sql)));
    return st;
  }

  chains(): AuditChainInfo[] {
    const out: AuditChainInfo[] = [];
    const chains = this.stmt(`SELECT chain FROM audit_blocks UNION SELECT chain FROM audit_checkpoints ORDER BY chain`).pluck().all() as string[];
    for (const chain of chains) {
      const first = this.stmt(`SELECT first_seq FROM audit_blocks WHERE chain=? ORDER BY first_seq LIMIT 1`).pluck().get(chain) as number | undefined;
      if (first !== undefined) {
        const last = this.stmt(`SELECT last_seq, last_hash FROM audit_blocks WHERE chain=? ORDER BY first_seq DESC LIMIT 1`).get(chain) as { last_seq: number; last_hash: string };
        out.push({ chain, firstSeq: first, lastSeq: last.last_seq, lastHash: last.last_hash });
        continue;
      }
      const a = this.stmt(`SELECT seq, hash FROM audit_checkpoints WHERE chain=? AND kind='anchor' ORDER BY seq DESC LIMIT 1`).get(chain) as { seq: number; hash: string } | undefined;
      if (a) out.push({ chain, firstSeq: a.seq + 1, lastSeq: a.seq, lastHash: a.hash });
    }
    return out;
  }

  /** Records of `chain` with seq > afterSeq, from the block holding afterSeq + 1 on, in stored order. */
  listChain(chain: string, afterSeq: number, limit: number): AuditRecord[] {
    const start = (this.stmt(`SELECT first_seq FROM audit_blocks WHERE chain=? AND first_seq<=? ORDER BY first_seq DESC LIMIT 1`).pluck().get(chain, afterSeq + 1) as number | undefined) ?? Number.MIN_SAFE_INTEGER;
    const out: AuditRecord[] = [];
    const blocks = this.stmt(`SELECT first_seq, records FROM audit_blocks WHERE chain=? AND first_seq>=? ORDER BY first_seq LIMIT 64`);
    for (let from = start; ; ) {
      const rows = blocks.all(chain, from) as { first_seq: number; records: string }[];
      for (const b of rows) {
        for (const r of decodeBlock(chain, b.records)) {
          if (r.seq <= afterSeq) continue;
          out.push(r);
          if (out.length >= limit) return out;
        }
      }
      if (rows.length < 64) return out;
      from = rows.at(-1)!.first_seq + 1;
    }
  }

  checkpoints(chain: string): AuditCheckpoint[] {
    const rows = this.stmt(`SELECT * FROM audit_checkpoints WHERE chain=? ORDER BY seq, kind`).all(chain) as AuditCheckpoint[];
    return rows.map((c) => ({ kind: c.kind, chain: c.chain, seq: c.seq, hash: c.hash, time: c.time, sig: c.sig }));
  }

  /** Blocks that may hold matching records, newest (latest record) first. */
  private candidates(q: { accountId?: string | undefined; chain?: string | undefined; secretArn?: string | undefined; principalArn?: string | undefined; since?: number | undefined; until?: number | undefined }): BlockMeta[] {
    const key = q.secretArn !== undefined ? `s:${q.secretArn}` : q.principalArn !== undefined ? `p:${q.principalArn}` : q.accountId !== undefined ? `a:${q.accountId}` : undefined;
    const since = q.since ?? -Number.MAX_SAFE_INTEGER;
    const until = q.until ?? Number.MAX_SAFE_INTEGER;
    const chain = q.chain !== undefined ? ` AND b.chain = ?` : "";
    const args = q.chain !== undefined ? [q.chain] : [];
    if (key === undefined) {
      return this.stmt(`SELECT b.id, b.chain, b.min_time, b.max_time FROM audit_blocks b WHERE b.max_time >= ? AND b.min_time <= ?${chain} ORDER BY b.max_time DESC`).all(since, until, ...args) as BlockMeta[];
    }
    return this.stmt(
      `SELECT b.id, b.chain, b.min_time, b.max_time FROM audit_keys k JOIN audit_blocks b ON b.chain = k.chain AND b.first_seq >= k.grp * ${GROUP_SEQS} AND b.first_seq < (k.grp + 1) * ${GROUP_SEQS}
       WHERE k.key = ? AND b.max_time >= ? AND b.min_time <= ?${chain} ORDER BY b.max_time DESC`,
    ).all(key, since, until, ...args) as BlockMeta[];
  }

  private records(b: BlockMeta): AuditRecord[] {
    return decodeBlock(b.chain, this.stmt(`SELECT records FROM audit_blocks WHERE id=?`).pluck().get(b.id) as string);
  }

  query(q: AuditQuery): AuditRecord[] {
    if (q.limit <= 0) return [];
    const match = matcher(q);
    const before = q.before;
    let page: AuditRecord[] = [];
    for (const b of this.candidates(q)) {
      // Every record of the rest is no newer than this block's latest: done once the page is full and older than that.
      if (page.length >= q.limit && page[q.limit - 1]!.time > b.max_time) break;
      if (before && b.min_time > before.time) continue;
      for (const r of this.records(b)) {
        if (!match(r)) continue;
        if (before && newerFirst(r, { time: before.time, chain: before.chain, seq: before.seq } as AuditRecord) <= 0) continue;
        page.push(r);
      }
      if (page.length >= q.limit * 2) page = page.sort(newerFirst).slice(0, q.limit);
      else if (page.length >= q.limit) page.sort(newerFirst);
    }
    return page.sort(newerFirst).slice(0, q.limit);
  }

  summarize(q: AuditSummaryQuery): AuditSummaryRow[] {
    const match = matcher({ ...q, outcome: "success" });
    const bySecret = q.groupBy === "secret";
    const groups = new Map<string, { name: string | undefined; last: number; count: number }>();
    for (const b of this.candidates(q)) {
      for (const r of this.records(b)) {
        const key = bySecret ? r.secretArn : r.principalArn;
        if (key === undefined || !match(r)) continue;
        const g = groups.get(key);
        if (!g) groups.set(key, { name: r.secretName, last: r.time, count: 1 });
        else {
          g.count++;
          if (r.time > g.last) g.last = r.time;
          if (r.secretName !== undefined && (g.name === undefined || r.secretName > g.name)) g.name = r.secretName;
        }
      }
    }
    return [...groups]
      .sort((a, b) => b[1].last - a[1].last)
      .slice(0, q.limit)
      .map(([key, g]) => ({ key, ...(bySecret && g.name !== undefined ? { name: g.name } : {}), last: g.last, count: g.count }));
  }

  /** How many records of `chain` have seq <= seq (what a prune at seq removes). */
  countThrough(chain: string, seq: number): number {
    return this.stmt(`SELECT COALESCE(SUM(MIN(last_seq, ?) - first_seq + 1), 0) FROM audit_blocks WHERE chain=? AND first_seq<=?`).pluck().get(seq, chain, seq) as number;
  }
}

/** The record filters of an audit query (every given one must hold). */
function matcher(q: Partial<AuditQuery>): (r: AuditRecord) => boolean {
  const ops = q.operations?.length ? new Set(q.operations) : undefined;
  return (r) =>
    (q.accountId === undefined || r.accountId === q.accountId) &&
    (q.chain === undefined || r.chain === q.chain) &&
    (q.secretArn === undefined || r.secretArn === q.secretArn) &&
    (q.principalArn === undefined || r.principalArn === q.principalArn) &&
    (q.outcome === undefined || r.outcome === q.outcome) &&
    (ops === undefined || ops.has(r.operation)) &&
    (q.since === undefined || r.time >= q.since) &&
    (q.until === undefined || r.time <= q.until);
}
