import { randomUUID } from "node:crypto";
import type { Logger } from "pino";
import { StoreConflict } from "../storage/store.js";
import type { SecretsDeps } from "../secrets/context.js";
import { labelsOf, mutateSecret, revise } from "../secrets/mutation.js";
import type { SecretRecord } from "../secrets/records.js";
import { pendingElsewhere } from "./api.js";
import type { RotationRecord } from "./records.js";

export interface SchedulerOptions {
  intervalMs: number;
  /** Rotations this server drives at once. */
  concurrency: number;
}

/**
 * Starts due rotations: secrets whose `rotationDueAt` has passed (the next window, or a retry
 * after a failure). Starting is one commit that clears the due date and creates the journal row,
 * guarded by the secret's revision, so a rotation is never started twice — not after a restart,
 * not by two servers. Each tick also resumes rotations left running by a crash.
 */
export class RotationScheduler {
  private timer: NodeJS.Timeout | undefined;
  private ticking: Promise<number> | undefined;

  constructor(
    private readonly deps: SecretsDeps,
    private readonly o: SchedulerOptions,
    private readonly log: Logger,
  ) {}

  start(): void {
    this.timer = setInterval(() => void this.tick(), this.o.intervalMs);
    this.timer.unref();
    void this.tick();
  }

  stop(): void {
    clearInterval(this.timer);
  }

  /** One pass; returns how many rotations it started. Never two passes at once. */
  tick(): Promise<number> {
    this.ticking ??= this.pass()
      .catch((e) => {
        this.log.error({ err: e }, "rotation scheduler pass failed");
        return 0;
      })
      .finally(() => (this.ticking = undefined));
    return this.ticking;
  }

  private async pass(): Promise<number> {
    const engine = this.deps.rotation;
    await engine.recover();
    let started = 0;
    while (engine.active < this.o.concurrency) {
      const room = this.o.concurrency - engine.active;
      const due = await this.deps.store.listSecretsDueForRotation(this.deps.clock(), room);
      if (due.length === 0) break;
      let progress = 0;
      for (const s of due) {
        if (engine.active >= this.o.concurrency) break;
        const r = await this.startOne(s);
        progress++;
        if (r) {
          engine.launch(r);
          started++;
        }
      }
      if (progress === 0) break;
    }
    return started;
  }

  /** Starts the automatic rotation of `s` if it is still due; undefined when someone else did or it no longer is. */
  private async startOne(first: SecretRecord): Promise<RotationRecord | undefined> {
    try {
      return await mutateSecret<RotationRecord | undefined>(this.deps, first, async (s) => {
        const now = this.deps.clock();
        const stillDue = s.rotationDueAt !== undefined && s.rotationDueAt <= now && s.deletedAt === undefined && s.rotationLambdaArn && !s.rotationFailing;
        if (!stillDue || (await this.deps.store.getRunningRotation(s.uid))) return { changes: [], result: undefined };
        const next = revise(s, {});
        delete next.rotationDueAt;
        // AWS: "A previous rotation isn't complete. That rotation will be reattempted." — with its pending version.
        const token = pendingElsewhere(labelsOf(await this.deps.store.listVersions(s.uid))) ?? randomUUID();
        const plan = await this.deps.rotation.planStart(next, { method: "automatic", rotatorArn: s.rotationLambdaArn!, token, immediately: true });
        return { changes: [{ op: "updateSecret", secret: next }, ...plan.changes], result: plan.rotation };
      });
    } catch (e) {
      if (e instanceof StoreConflict && e.kind === "rotation") return undefined;
      throw e;
    }
  }
}
