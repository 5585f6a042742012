import type Database from "better-sqlite3";
import type { AuditRecord } from "../audit/records.js";
import { decodeBlock, encodeBlock } from "../storage/sqlite/audit-blocks.js";

/**
 * What someone with write access to the database file (but not the audit key) can do to the
 * audit trail: read every record of every chain, change them at will, and write them back as
 * well-formed blocks with consistent columns. Tamper tests use it to alter a stored trail.
 */
export function rewriteStoredTrail(db: Database.Database, alter: (records: AuditRecord[]) => AuditRecord[]): void {
  const chains = db.prepare(`SELECT DISTINCT chain FROM audit_blocks`).pluck().all() as string[];
  db.transaction(() => {
    for (const chain of chains) {
      const texts = db.prepare(`SELECT records FROM audit_blocks WHERE chain=? ORDER BY first_seq`).pluck().all(chain) as string[];
      const records = alter(texts.flatMap((t) => decodeBlock(chain, t)));
      db.prepare(`DELETE FROM audit_blocks WHERE chain=?`).run(chain);
      const insert = db.prepare(`INSERT INTO audit_blocks (chain, first_seq, last_seq, min_time, max_time, last_hash, records) VALUES (?, ?, ?, ?, ?, ?, ?)`);
      for (let i = 0; i < records.length; i += 100) {
        const b = encodeBlock(records.slice(i, i + 100));
        insert.run(chain, b.firstSeq, b.lastSeq, b.minTime, b.maxTime, b.lastHash, b.records);
      }
    }
  })();
}
