import { readFileSync } from "node:fs";
import { basename } from "node:path";
import type { Store } from "../storage/store.js";
import { parseLine } from "./lines.js";
import type { AuditCheckpoint, AuditRecord } from "./records.js";
import { logFiles } from "./sinks/file-sink.js";
import { ChainVerifier, type ChainReport } from "./verify.js";

export interface TrailReport {
  ok: boolean;
  chains: ChainReport[];
  records: number;
  /** A problem outside any chain (an unreadable line). */
  problem?: ChainReport["problem"];
}

const PAGE = 5000;

/** Verifies every chain in the store, each up to its first bad record. */
export async function verifyStoreTrail(store: Store, key: Buffer): Promise<TrailReport> {
  if (!store.auditChains || !store.listAuditChain || !store.listAuditCheckpoints) throw new Error(`the ${store.kind} store does not keep an audit trail`);
  const chains: ChainReport[] = [];
  for (const info of await store.auditChains()) {
    const v = new ChainVerifier(key, info.chain, await store.listAuditCheckpoints(info.chain));
    let after = 0;
    for (;;) {
      const page = await store.listAuditChain(info.chain, after, PAGE);
      for (const r of page) if (!v.push(r)) break;
      if (v.problem || page.length < PAGE) break;
      after = page.at(-1)!.seq;
    }
    chains.push(v.finish());
  }
  return { ok: chains.every((c) => !c.problem), chains, records: chains.reduce((n, c) => n + c.records, 0) };
}

/**
 * Verifies a file sink's log (`path` and its rotated files, oldest first), naming a bad record
 * by file and line. The files of one log hold one chain.
 */
export function verifyFileTrail(path: string, key: Buffer): TrailReport {
  const items: { at: string; record?: AuditRecord; checkpoint?: AuditCheckpoint; invalid?: string }[] = [];
  for (const f of logFiles(path)) {
    const lines = readFileSync(f, "utf8").split("\n");
    for (let i = 0; i < lines.length; i++) {
      const l = lines[i]!;
      if (l.trim() === "") continue;
      const at = `${basename(f)}:${i + 1}`;
      const p = parseLine(l);
      if ("record" in p) items.push({ at, record: p.record });
      else if ("checkpoint" in p) items.push({ at, checkpoint: p.checkpoint });
      else items.push({ at, invalid: p.invalid });
    }
  }
  const chain = items.find((x) => x.record)?.record?.chain ?? items.find((x) => x.checkpoint)?.checkpoint?.chain;
  if (chain === undefined) {
    const bad = items.find((x) => x.invalid);
    return bad ? { ok: false, chains: [], records: 0, problem: { chain: "", at: bad.at, reason: bad.invalid! } } : { ok: true, chains: [], records: 0 };
  }
  const v = new ChainVerifier(key, chain, items.flatMap((x) => (x.checkpoint ? [x.checkpoint] : [])));
  for (const x of items) {
    if (x.invalid) {
      v.problem ??= { chain, at: x.at, reason: `unreadable line (${x.invalid})` };
      break;
    }
    if (x.record && !v.push(x.record, `${x.at} (seq ${x.record.seq})`)) break;
  }
  const report = v.finish();
  return { ok: !report.problem, chains: [report], records: report.records };
}
