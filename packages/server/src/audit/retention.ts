import type { Store } from "../storage/store.js";
import type { AuditLog } from "./audit-log.js";

/**
 * Deletes the chain's store records older than `cutoff` (ms): up to the last one before it,
 * under a signed anchor at that record, so that verification starts at the oldest kept record.
 * The record is found by binary search on seq (times grow with seq, up to the length of a
 * request), a few primary-key reads whatever the size of the trail. Returns how many records it deleted.
 */
export async function pruneAuditTrail(store: Store, log: AuditLog, chain: string, cutoff: number): Promise<number> {
  if (!store.auditChains || !store.listAuditChain || !store.pruneAudit) return 0;
  const info = (await store.auditChains()).find((c) => c.chain === chain);
  if (!info || info.lastSeq < info.firstSeq) return 0;
  const at = async (seq: number) => (await store.listAuditChain!(chain, seq - 1, 1))[0];
  let lo = info.firstSeq;
  // Never the head: the chain goes on from it.
  let hi = Math.min(info.lastSeq, log.current().seq) - 1;
  let found: { seq: number; hash: string } | undefined;
  while (lo <= hi) {
    const mid = Math.floor((lo + hi) / 2);
    const r = await at(mid);
    if (!r) break;
    if (r.time < cutoff) {
      found = { seq: r.seq, hash: r.hash };
      lo = r.seq + 1;
    } else hi = mid - 1;
  }
  if (!found) return 0;
  return store.pruneAudit(log.anchor(found.seq, found.hash));
}
