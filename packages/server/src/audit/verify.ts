import { GENESIS, checkpointValid, recordHash, sameHex } from "./chain.js";
import type { AuditCheckpoint, AuditRecord } from "./records.js";

/** The first thing wrong with a chain: where (a seq, or a file and line) and why. */
export interface AuditProblem {
  chain: string;
  /** Seq of the first bad record, if it has one. */
  seq?: number;
  requestId?: string;
  /** e.g. `audit.log.1:17` or `seq 42`. */
  at: string;
  reason: string;
}

export interface ChainReport {
  chain: string;
  records: number;
  checkpoints: number;
  firstSeq?: number;
  lastSeq?: number;
  problem?: AuditProblem;
}

/**
 * Walks one chain in order and stops at the first bad record: a record whose hash does not
 * match its content (edited, forged, or moved: the seq is part of the content), a seq that is
 * not the previous one plus one (deleted, inserted, reordered), a link to a hash that is not
 * the previous record's, a chain that starts after seq 1 without a signed anchor checkpoint
 * (records removed at the head), a checkpoint with a bad signature or that disagrees with the
 * record it covers, and a signed checkpoint beyond the last record (tail cut off).
 */
export class ChainVerifier {
  private prev: { seq: number; hash: string } | undefined;
  private readonly bySeq = new Map<number, AuditCheckpoint>();
  private readonly anchors = new Map<number, AuditCheckpoint>();
  private first: number | undefined;
  private count = 0;
  problem: AuditProblem | undefined;

  constructor(
    private readonly key: Buffer,
    readonly chain: string,
    private readonly checkpoints: readonly AuditCheckpoint[],
  ) {
    for (const c of checkpoints) {
      if (!checkpointValid(this.key, c)) {
        this.problem ??= { chain, at: `checkpoint at seq ${c.seq}`, reason: "checkpoint signature does not verify (altered or forged)" };
      }
      this.bySeq.set(c.seq, c);
      if (c.kind === "anchor") this.anchors.set(c.seq, c);
    }
  }

  /** Checks the next record; returns false once a problem was found. `at` names its position for the report. */
  push(r: AuditRecord, at = `seq ${r.seq}`): boolean {
    if (this.problem) return false;
    const bad = (reason: string) => {
      this.problem = { chain: this.chain, seq: r.seq, requestId: r.requestId, at, reason };
      return false;
    };
    if (r.chain !== this.chain) return bad(`belongs to chain ${r.chain}, found in chain ${this.chain}`);
    if (typeof r.hash !== "string" || typeof r.prevHash !== "string" || !sameHex(recordHash(this.key, r.prevHash, r), r.hash)) {
      return bad("content does not match its hash (edited, forged or moved)");
    }
    if (this.prev === undefined) {
      if (r.seq === 1) {
        if (r.prevHash !== GENESIS) return bad("first record does not start the chain");
      } else {
        const anchor = this.anchors.get(r.seq - 1);
        if (!anchor) return bad(`the chain starts at seq ${r.seq} without an anchor checkpoint at seq ${r.seq - 1}: earlier records were removed`);
        if (anchor.hash !== r.prevHash) return bad(`does not follow the anchor checkpoint at seq ${r.seq - 1}`);
      }
      this.first = r.seq;
    } else {
      if (r.seq !== this.prev.seq + 1) {
        return bad(`seq ${r.seq} follows seq ${this.prev.seq}: a record was ${r.seq > this.prev.seq + 1 ? "deleted" : "inserted or moved"} here`);
      }
      if (r.prevHash !== this.prev.hash) return bad("does not link to the record before it (deleted, inserted or reordered)");
    }
    const c = this.bySeq.get(r.seq);
    if (c && c.hash !== r.hash) return bad(`disagrees with the signed checkpoint at seq ${r.seq}`);
    this.prev = { seq: r.seq, hash: r.hash };
    this.count++;
    return true;
  }

  /** Ends the walk: the tail must reach the last checkpoint. */
  finish(): ChainReport {
    if (!this.problem) {
      const lastCp = this.checkpoints.reduce((m, c) => Math.max(m, c.seq), 0);
      const last = this.prev?.seq ?? 0;
      if (lastCp > last) {
        const next = last + 1;
        this.problem = {
          chain: this.chain, seq: next, at: `seq ${next}`,
          reason: `missing: a signed checkpoint covers records up to seq ${lastCp}, the log ends at seq ${last} (tail removed)`,
        };
      }
    }
    return {
      chain: this.chain,
      records: this.count,
      checkpoints: this.checkpoints.length,
      ...(this.first !== undefined ? { firstSeq: this.first, lastSeq: this.prev!.seq } : {}),
      ...(this.problem ? { problem: this.problem } : {}),
    };
  }
}
