import type { CallRecord } from "../http/call-record.js";
import type { Principal } from "../iam/principal.js";

interface Track {
  /** Times of the latest denials, oldest first, at most `threshold` of them. */
  times: number[];
  /** No second alarm for this principal before this time. */
  quietUntil: number;
}

const MAX_TRACKED = 10_000;

/**
 * Counts AccessDeniedException answers per principal in a sliding window and reports a burst
 * when `threshold` of them fall within `windowMs`; after an alarm the principal is quiet for
 * one window (one alarm per burst, not one per denial). O(1) per denial (amortized).
 */
export class DeniedBurstDetector {
  private readonly tracks = new Map<string, Track>();

  constructor(
    private readonly threshold: number,
    private readonly windowMs: number,
    private readonly clock: () => number,
    private readonly onBurst: (p: Principal, count: number, lastOperation: string | undefined) => void,
  ) {}

  observe(c: CallRecord): void {
    if (c.errorCode !== "AccessDeniedException" || !c.principal) return;
    const now = this.clock();
    const key = c.principal.arn;
    let t = this.tracks.get(key);
    if (!t) {
      if (this.tracks.size >= MAX_TRACKED) this.sweep(now);
      t = { times: [], quietUntil: 0 };
      this.tracks.set(key, t);
    }
    t.times.push(now);
    if (t.times.length > this.threshold) t.times.shift();
    if (t.times.length >= this.threshold && t.times[0]! > now - this.windowMs && now >= t.quietUntil) {
      t.quietUntil = now + this.windowMs;
      this.onBurst(c.principal, t.times.length, c.operation);
    }
  }

  /** Forgets principals whose last denial left the window. */
  private sweep(now: number): void {
    for (const [k, t] of this.tracks) if (t.times[t.times.length - 1]! <= now - this.windowMs && t.quietUntil <= now) this.tracks.delete(k);
    if (this.tracks.size >= MAX_TRACKED) this.tracks.clear();
  }
}
