import type { Logger } from "pino";
import type { SecretRecord } from "../secrets/records.js";
import type { Store } from "../storage/store.js";
import { compileSchedule, nextWindow } from "../rotation/schedule.js";

export interface RotationCounts {
  /** Secrets with an automatic rotation scheduled (looked at, up to the scan limit). */
  scheduled: number;
  /** Due now (window open or a retry's time reached) and not running. */
  due: number;
  /** Past the end of their rotation window without a successful rotation. */
  overdue: number;
}

/** When the window that opened at `s.nextRotationAt` closes; undefined without a schedule. */
export function windowEnd(s: SecretRecord): number | undefined {
  const start = s.nextRotationAt ?? s.rotationDueAt;
  if (start === undefined || !s.rotationRules) return undefined;
  try {
    const w = nextWindow(compileSchedule(s.rotationRules), s.lastRotatedAt ?? s.createdAt);
    return w ? start + (w.end - w.start) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Looks at the secrets with a scheduled rotation every `intervalMs` (one indexed query, at most
 * `limit` rows): feeds the due/overdue gauges and reports each secret that became overdue once
 * per window. A secret whose automatic rotation stopped after repeated failures has no schedule
 * any more and is not counted (RotationFailed reported it).
 */
export class RotationWatch {
  private timer: NodeJS.Timeout | undefined;
  /** uid → window start already reported overdue. */
  private readonly reported = new Map<string, number>();
  private running: Promise<RotationCounts> | undefined;

  constructor(
    private readonly store: Store,
    private readonly clock: () => number,
    private readonly o: { intervalMs: number; limit: number },
    private readonly sinks: { counts?: (c: RotationCounts) => void; overdue?: (s: SecretRecord, windowEnd: number) => void },
    private readonly log: Logger,
  ) {}

  start(): void {
    this.timer = setInterval(() => void this.check().catch((err) => this.log.error({ err }, "rotation watch failed")), this.o.intervalMs);
    this.timer.unref();
    void this.check().catch((err) => this.log.error({ err }, "rotation watch failed"));
  }

  stop(): void {
    clearInterval(this.timer);
  }

  /** One pass now (tests); concurrent calls share the pass. */
  check(): Promise<RotationCounts> {
    return (this.running ??= this.pass().finally(() => (this.running = undefined)));
  }

  private async pass(): Promise<RotationCounts> {
    const now = this.clock();
    // Every secret with a due date, earliest first: the due ones come first, then the future ones.
    const rows = await this.store.listSecretsDueForRotation(now + 100 * 365 * 86_400_000, this.o.limit);
    const counts: RotationCounts = { scheduled: rows.length, due: 0, overdue: 0 };
    const stillOverdue = new Set<string>();
    for (const s of rows) {
      if (s.rotationDueAt !== undefined && s.rotationDueAt <= now) counts.due++;
      const end = windowEnd(s);
      if (end === undefined || now <= end) continue;
      counts.overdue++;
      stillOverdue.add(s.uid);
      const start = s.nextRotationAt ?? s.rotationDueAt!;
      if (this.reported.get(s.uid) !== start) {
        this.reported.set(s.uid, start);
        this.sinks.overdue?.(s, end);
      }
    }
    for (const uid of this.reported.keys()) if (!stillOverdue.has(uid)) this.reported.delete(uid);
    this.sinks.counts?.(counts);
    return counts;
  }
}
