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
  /** Rotations this server drives at once, at most. */
  concurrency: number;
  /**
   * Rotations are background work: while the event loop is busy serving requests, the number of
   * rotations run at once shrinks (down to one), and grows back when the server is quiet.
   */
  yieldToTraffic: boolean;
}

/** Above this share of busy event-loop time the scheduler halves its concurrency; below the lower one it adds one. */
const BUSY = 0.85;
const QUIET = 0.6;
/** Busy at a concurrency of one: after a rotation, rest this many times its duration (a one-in-three duty cycle). */
const REST_FACTOR = 2;

/**
 * Starts due rotations: secrets whose `rotationDueAt` has passed (the next window, or a retry
 * after a failure). Starting is one commit that clears the due date and creates the journal row,
 * guarded by the secret's revision, so a rotation is never started twice — not after a restart,
 * not by two servers. Each tick also resumes rotations left running by a crash.
 */
export class RotationScheduler {
  private timer: NodeJS.Timeout | undefined;
  private load: NodeJS.Timeout | undefined;
  private ticking: Promise<number> | undefined;
  private next: Promise<number> | undefined;
  private limit: number;
  private busy = false;
  private restUntil = 0;
  private elu = performance.eventLoopUtilization();

  constructor(
    private readonly deps: SecretsDeps,
    private readonly o: SchedulerOptions,
    private readonly log: Logger,
  ) {
    this.limit = o.concurrency;
  }

  /** How many rotations may run at once now (adapted to the serving load). */
  get concurrency(): number {
    return this.limit;
  }

  /** Additive increase when quiet, halving when busy (as TCP does with its window). */
  private adapt(): void {
    const now = performance.eventLoopUtilization();
    const busy = performance.eventLoopUtilization(now, this.elu).utilization;
    this.elu = now;
    this.busy = busy > BUSY;
    if (this.busy) this.limit = Math.max(1, Math.floor(this.limit / 2));
    else if (busy < QUIET) this.limit = Math.min(this.o.concurrency, this.limit + 1);
  }

  start(): void {
    this.timer = setInterval(() => void this.tick(), this.o.intervalMs);
    this.timer.unref();
    if (this.o.yieldToTraffic) {
      this.load = setInterval(() => this.adapt(), 250);
      this.load.unref();
    }
    // A rotation that ends frees a slot: look for more due work at once rather than at the next
    // interval — unless serving is busy and only one may run, then rest a while first.
    this.deps.rotation.onSettled = (ms) => {
      if (this.o.yieldToTraffic && this.busy && this.limit === 1) {
        this.restUntil = performance.now() + REST_FACTOR * ms;
        setTimeout(() => void this.tick(), REST_FACTOR * ms).unref();
      } else void this.tick();
    };
    void this.tick();
  }

  stop(): void {
    clearInterval(this.timer);
    clearInterval(this.load);
    this.deps.rotation.onSettled = undefined;
  }

  /**
   * One pass; returns how many rotations it started. Never two passes at once: a call during a
   * pass (which may have looked before the caller's reason to look) gets the pass that runs
   * right after it; calls meanwhile share that one.
   */
  tick(): Promise<number> {
    if (this.ticking) {
      this.next ??= this.ticking.then(() => {
        this.next = undefined;
        return this.tick();
      });
      return this.next;
    }
    this.ticking = this.pass()
      .catch((e) => {
        this.log.error({ err: e }, "rotation scheduler pass failed");
        return 0;
      })
      .finally(() => {
        this.ticking = undefined;
      });
    return this.ticking;
  }

  private async pass(): Promise<number> {
    const engine = this.deps.rotation;
    await engine.recover();
    if (performance.now() < this.restUntil) return 0;
    let started = 0;
    while (engine.active < this.limit) {
      const room = this.limit - engine.active;
      const due = await this.deps.store.listSecretsDueForRotation(this.deps.clock(), room);
      if (due.length === 0) break;
      let progress = 0;
      for (const s of due) {
        if (engine.active >= this.limit) break;
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
