import { randomUUID } from "node:crypto";
import type { Logger } from "pino";
import { StoreConflict, type Change } from "../storage/store.js";
import type { SecretsDeps } from "../secrets/context.js";
import { labelsOf, mutateSecret, revise } from "../secrets/mutation.js";
import type { SecretRecord } from "../secrets/records.js";
import { AWSCURRENT, AWSPENDING } from "../secrets/stages.js";
import { inProcessClient, SeenValues } from "./in-process-client.js";
import type { RotationMethod, RotationRecord, StepRecord } from "./records.js";
import type { RotatorRegistry } from "./registry.js";
import { STEPS, type Rotator, type Step, type StepRequest } from "./rotator.js";
import { nextRotation } from "./next-rotation.js";
import { openValue, sealValue } from "../secrets/values.js";

export interface EngineOptions {
  /** Identifies this server in rotation leases; a restarted server with the same id resumes its own rotations at once. */
  nodeId: string;
  stepTimeoutMs: number;
  /** How long a rotation stays claimed without a journal write; after that another server may take it over. */
  leaseMs: number;
  /** Failed attempts in a row after which automatic rotation stops and the secret is flagged failing. */
  maxAttempts: number;
  /** Backoff after the n-th failure: retryBaseMs × 2^(n-1), at most retryMaxMs. */
  retryBaseMs: number;
  retryMaxMs: number;
  /** Test hook: awaited before each step and after each step's side effect, before its outcome is journaled. */
  checkpoint?: (where: `${"before" | "after"}:${Step | "restoreCurrent"}`, r: RotationRecord) => Promise<void>;
  /** Observability hook (metrics, notifications): called once when a rotation this server drove has ended; must not throw. */
  onRotationEvent?: (e: RotationEvent) => void;
}

/** The end of a rotation, for metrics and notifications: metadata only (the record holds no value). */
export interface RotationEvent {
  outcome: "succeeded" | "failed" | "cancelled";
  rotation: RotationRecord;
  durationMs: number;
}

export interface StartRequest {
  method: RotationMethod;
  rotatorArn: string;
  /** Version id of the new AWSPENDING version (ClientRequestToken). */
  token: string;
  /** false: RotateImmediately=false, a test of the configuration (testSecret on a copy of AWSCURRENT). */
  immediately: boolean;
}

class LeaseLost extends Error {}
class Cancelled extends Error {
  constructor() {
    super("the rotation was cancelled");
  }
}
class StepTimeout extends Error {}

const MAX_ERROR = 2000;

/**
 * The rotation engine: runs the four AWS steps of a rotator durably. Before each step its intent
 * is journaled (the rotation row), after it its outcome, so that after a crash or restart a
 * rotation resumes at the step whose outcome is unknown (steps are idempotent). A step that
 * fails or times out abandons the rotation: the rotator restores AWSCURRENT on the target if it
 * can, AWSPENDING is removed, the (redacted) reason is recorded, and the scheduler retries with
 * backoff until `maxAttempts`, after which the secret is flagged failing. One rotation runs per
 * secret (the store refuses a second running row); a server claims a rotation with a lease.
 */
export class RotationEngine {
  private readonly inFlight = new Map<string, { abort: AbortController; done: Promise<void> }>();
  private closed = false;
  /** Called whenever a rotation this server drove has ended, with how long it ran (the scheduler fills the free slot). */
  onSettled: ((ms: number) => void) | undefined;

  constructor(
    private readonly deps: SecretsDeps,
    readonly registry: RotatorRegistry,
    private readonly o: EngineOptions,
    private readonly log: Logger,
  ) {}

  /** Rotations this server is driving now. */
  get active(): number {
    return this.inFlight.size;
  }

  /**
   * The changes that start a rotation of `s` (to commit with the caller's own changes in one
   * transaction): the journal row and the new AWSPENDING version, value-less for a rotation,
   * a copy of AWSCURRENT for a configuration test.
   */
  async planStart(s: SecretRecord, req: StartRequest): Promise<{ rotation: RotationRecord; changes: Change[] }> {
    const now = this.deps.clock();
    const versions = await this.deps.store.listVersions(s.uid);
    const labels = labelsOf(versions);
    const fromVersion = labels.get(AWSCURRENT);
    const rotation: RotationRecord = {
      id: randomUUID(),
      secretUid: s.uid,
      accountId: s.accountId,
      region: s.region,
      secretArn: s.arn,
      secretName: s.name,
      token: req.token,
      ...(fromVersion !== undefined ? { fromVersion } : {}),
      rotatorArn: req.rotatorArn,
      rotationToken: randomUUID(),
      options: { ...s.rotationOptions },
      method: req.method,
      status: "running",
      plan: req.immediately ? [...STEPS] : ["testSecret"],
      // The first step's intent is journaled with the start itself.
      steps: [{ step: req.immediately ? STEPS[0] : "testSecret", startedAt: now }],
      startedAt: now,
      attempt: (s.rotationFailures ?? 0) + 1,
      leaseOwner: this.o.nodeId,
      leaseUntil: now + this.o.leaseMs,
      revision: 1,
    };
    const changes: Change[] = [{ op: "insertRotation", rotation }];
    if (!versions.some((v) => v.versionId === req.token)) {
      changes.push({ op: "insertVersion", secretUid: s.uid, versionId: req.token, createdAt: now });
      // A configuration test runs testSecret against a copy of AWSCURRENT (AWS: "creates an AWSPENDING version and then removes it").
      const cur = !req.immediately && fromVersion !== undefined ? await this.deps.store.getVersion(s.uid, fromVersion) : undefined;
      const value = cur && (await openValue(this.deps, s, cur));
      if (value) changes.push({ op: "setVersionValue", secretUid: s.uid, versionId: req.token, kind: value.kind, sealed: await sealValue(this.deps, s, req.token, value) });
    }
    if (labels.get(AWSPENDING) !== req.token) changes.push({ op: "setStage", secretUid: s.uid, stage: AWSPENDING, versionId: req.token });
    return { rotation, changes };
  }

  /** Drives a started rotation in the background. */
  launch(r: RotationRecord): void {
    if (this.closed || this.inFlight.has(r.id)) return;
    const abort = new AbortController();
    const started = performance.now();
    const done = this.drive(r, abort.signal)
      .catch((e) => {
        if (!(e instanceof LeaseLost)) this.log.error({ err: e, rotationId: r.id, secretArn: r.secretArn }, "rotation engine failure");
      })
      .finally(() => {
        this.inFlight.delete(r.id);
        this.onSettled?.(performance.now() - started);
      });
    this.inFlight.set(r.id, { abort, done });
  }

  /** Waits for the rotation's run in this process (if any) to end. */
  async settled(rotationId: string): Promise<void> {
    await this.inFlight.get(rotationId)?.done;
  }

  /**
   * Asks a running rotation of the secret to stop: the current step is aborted, then the
   * rotation is abandoned (AWSCURRENT restored, AWSPENDING removed) and recorded as cancelled.
   * Returns the id of the version that was pending.
   */
  async cancel(secretUid: string): Promise<string | undefined> {
    const r = await this.deps.store.getRunningRotation(secretUid);
    if (!r) return undefined;
    const local = this.inFlight.get(r.id);
    if (local) {
      local.abort.abort(new Cancelled());
      await local.done;
      return r.token;
    }
    // Another server drives it (or nobody, after a crash): flag it; its driver stops at the next step.
    await this.journalRaw({ ...r, cancelRequested: true, revision: r.revision + 1 }).catch(() => undefined);
    return r.token;
  }

  /** Claims and resumes every running rotation this server may drive (its own, and those whose lease ran out). */
  async recover(): Promise<number> {
    const list = await this.deps.store.listRotationsToResume(this.deps.clock(), this.o.nodeId);
    let n = 0;
    for (const r of list) {
      if (this.inFlight.has(r.id)) continue;
      try {
        const claimed = await this.journalRaw({ ...r, leaseOwner: this.o.nodeId, leaseUntil: this.deps.clock() + this.o.leaseMs, revision: r.revision + 1 });
        this.log.info({ rotationId: r.id, secretArn: r.secretArn, step: claimed.steps.at(-1)?.step }, "resuming rotation");
        this.launch(claimed);
        n++;
      } catch (e) {
        if (!(e instanceof StoreConflict)) throw e;
      }
    }
    return n;
  }

  /** Stops starting work; waits up to `graceMs` for rotations in flight (the rest resume on the next start). */
  async close(graceMs: number): Promise<void> {
    this.closed = true;
    const all = Promise.all([...this.inFlight.values()].map((f) => f.done));
    await Promise.race([all, new Promise((r) => setTimeout(r, graceMs).unref())]);
  }

  private async drive(start: RotationRecord, signal: AbortSignal): Promise<void> {
    let r = start;
    const seen = new SeenValues();
    const client = inProcessClient(this.deps, r.accountId, r.region, seen);
    const rotator = await this.deps.store.getSecretByUid(r.secretUid).then((s) => (s ? this.registry.resolve(r.rotatorArn, r.accountId) : undefined));
    if (!rotator) return this.abandon(r, undefined, new Error(`the rotation function ${r.rotatorArn} is not available`), seen, client);
    const request = (step: Step, stepSignal: AbortSignal): StepRequest => ({
      step, secretArn: r.secretArn, token: r.token, rotationToken: r.rotationToken, options: r.options, client, signal: stepSignal,
    });
    // The journal: a step's intent is written before it runs; its outcome is written together with
    // the next step's intent (one write per step); the last outcome goes with the completion.
    for (const [i, step] of r.plan.entries()) {
      if (r.steps.some((s) => s.step === step && s.outcome === "succeeded")) continue;
      if (signal.aborted || r.cancelRequested) return this.abandon(r, rotator, new Cancelled(), seen, client);
      const last = r.steps[r.steps.length - 1];
      if (!(last && last.step === step && last.endedAt === undefined)) r = await this.journal(r, { steps: [...r.steps, { step, startedAt: this.deps.clock() }] });
      await this.o.checkpoint?.(`before:${step}`, r);
      const started = performance.now();
      try {
        await this.runStep(rotator, step, request, signal);
      } catch (e) {
        r = await this.journal(r, { steps: endLast(r.steps, this.deps.clock(), "failed") });
        // No error text here: an HTTP function may echo values the engine has not seen yet;
        // abandon() learns them first and logs the redacted reason ("rotation abandoned").
        this.log.warn({ rotationId: r.id, secretArn: r.secretArn, step, ms: Math.round(performance.now() - started) }, "rotation step failed");
        return this.abandon(r, rotator, e, seen, client);
      }
      await this.o.checkpoint?.(`after:${step}`, r);
      const now = this.deps.clock();
      const next = r.plan[i + 1];
      const steps = endLast(r.steps, now, "succeeded");
      if (next === undefined) r = { ...r, steps };
      else r = await this.journal(r, { steps: [...steps, { step: next, startedAt: now }] });
      this.log.info({ rotationId: r.id, secretArn: r.secretArn, step, ms: Math.round(performance.now() - started) }, "rotation step done");
    }
    await this.complete(r);
  }

  /** One step under the step timeout and the rotation's abort signal. */
  private async runStep(rotator: Rotator, step: Step | "restoreCurrent", request: (s: Step, sig: AbortSignal) => StepRequest, outer: AbortSignal): Promise<void> {
    if (outer.aborted) throw outer.reason;
    const ctl = new AbortController();
    const onOuter = () => ctl.abort(outer.reason);
    outer.addEventListener("abort", onOuter, { once: true });
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        const e = new StepTimeout(`${step} did not finish within ${this.o.stepTimeoutMs} ms`);
        ctl.abort(e);
        reject(e);
      }, this.o.stepTimeoutMs);
      ctl.signal.addEventListener("abort", () => reject(ctl.signal.reason), { once: true });
    });
    try {
      const fn = step === "restoreCurrent" ? rotator.restoreCurrent! : rotator[step];
      await Promise.race([fn.call(rotator, request(step === "restoreCurrent" ? "setSecret" : step, ctl.signal)), timeout]);
    } finally {
      clearTimeout(timer);
      outer.removeEventListener("abort", onOuter);
    }
  }

  /** Success: AWSPENDING removed, the schedule moved on, failures forgotten, the journal closed. */
  private async complete(r: RotationRecord): Promise<void> {
    const now = this.deps.clock();
    const done: RotationRecord = { ...r, status: "succeeded", endedAt: now, revision: r.revision + 1 };
    delete done.leaseOwner;
    delete done.leaseUntil;
    await this.settleSecret(r, done, (s, labels) => {
      const changes: Change[] = [];
      if (labels.get(AWSPENDING) === r.token) changes.push({ op: "setStage", secretUid: s.uid, stage: AWSPENDING, versionId: null });
      if (r.method === "test") {
        if (labels.get(AWSCURRENT) !== r.token) changes.push({ op: "deleteVersion", secretUid: s.uid, versionId: r.token });
        // RotateImmediately=false only tested the function: the schedule set by RotateSecret applies.
        const due = s.nextRotationAt ?? nextRotation(s, now);
        return { changes, patch: { rotationFailures: 0, rotationFailing: false, rotationDueAt: due } };
      }
      const next = nextRotation(s, now);
      return { changes, patch: { lastRotatedAt: now, rotationFailures: 0, rotationFailing: false, nextRotationAt: next, rotationDueAt: next } };
    });
    this.log.info({ rotationId: r.id, secretArn: r.secretArn, method: r.method, ms: now - r.startedAt }, "rotation succeeded");
    this.o.onRotationEvent?.({ outcome: "succeeded", rotation: done, durationMs: now - r.startedAt });
  }

  /**
   * Failure or cancellation: undo setSecret on the target when the rotator can (so AWSCURRENT
   * works again), remove AWSPENDING, record why, and schedule a retry or flag the secret failing.
   * If AWSCURRENT already reached the new version the rotation is complete, not failed.
   */
  private async abandon(r: RotationRecord, rotator: Rotator | undefined, cause: unknown, seen: SeenValues, client: StepRequest["client"]): Promise<void> {
    const labels = labelsOf(await this.deps.store.listVersions(r.secretUid));
    if (labels.get(AWSCURRENT) === r.token && r.method !== "test") return this.complete(r);
    const cancelled = cause instanceof Cancelled;
    // An HTTP rotation function reads values on its own: learn them too before redacting its words.
    for (const q of [{ VersionStage: AWSCURRENT }, { VersionStage: "AWSPREVIOUS" }, { VersionId: r.token }]) {
      await client.getSecretValue({ SecretId: r.secretArn, ...q }).catch(() => undefined);
    }
    let error = this.redact(cause, seen);
    const setStarted = r.steps.some((s) => s.step === "setSecret");
    if (rotator?.restoreCurrent && setStarted) {
      r = await this.journal(r, { steps: [...r.steps, { step: "restoreCurrent", startedAt: this.deps.clock() }] });
      await this.o.checkpoint?.("before:restoreCurrent", r);
      try {
        const req = (step: Step, sig: AbortSignal): StepRequest => ({ step, secretArn: r.secretArn, token: r.token, rotationToken: r.rotationToken, options: r.options, client, signal: sig });
        await this.runStep(rotator, "restoreCurrent", req, new AbortController().signal);
        r = await this.journal(r, { steps: endLast(r.steps, this.deps.clock(), "succeeded") });
      } catch (e) {
        r = await this.journal(r, { steps: endLast(r.steps, this.deps.clock(), "failed") });
        error += ` Restoring AWSCURRENT on the target also failed: ${this.redact(e, seen)}`;
        this.log.error({ rotationId: r.id, secretArn: r.secretArn, error }, "AWSCURRENT could not be restored after a failed rotation");
      }
    }
    const now = this.deps.clock();
    const ended: RotationRecord = { ...r, status: cancelled ? "cancelled" : "failed", endedAt: now, error: error.slice(0, MAX_ERROR), revision: r.revision + 1 };
    delete ended.leaseOwner;
    delete ended.leaseUntil;
    await this.settleSecret(r, ended, (s, lbl) => {
      const changes: Change[] = [];
      if (lbl.get(AWSPENDING) === r.token) changes.push({ op: "setStage", secretUid: s.uid, stage: AWSPENDING, versionId: null });
      // The version that never became current goes too, unless someone labeled it meanwhile.
      if (![...lbl].some(([stage, v]) => v === r.token && stage !== AWSPENDING)) changes.push({ op: "deleteVersion", secretUid: s.uid, versionId: r.token });
      if (cancelled) return { changes, patch: {} };
      if (r.method === "test") return { changes, patch: { rotationDueAt: s.nextRotationAt ?? nextRotation(s, now) } };
      const failures = (s.rotationFailures ?? 0) + 1;
      if (failures >= this.o.maxAttempts) return { changes, patch: { rotationFailures: failures, rotationFailing: true, rotationDueAt: undefined } };
      const backoff = Math.min(this.o.retryMaxMs, this.o.retryBaseMs * 2 ** (failures - 1));
      return { changes, patch: { rotationFailures: failures, rotationDueAt: now + backoff } };
    });
    this.log.warn({ rotationId: r.id, secretArn: r.secretArn, outcome: ended.status, error: ended.error }, "rotation abandoned");
    this.o.onRotationEvent?.({ outcome: cancelled ? "cancelled" : "failed", rotation: ended, durationMs: now - r.startedAt });
  }

  /** Commits the rotation's end with the secret's label cleanup and bookkeeping, against the secret as it is now. */
  private async settleSecret(
    r: RotationRecord,
    ended: RotationRecord,
    plan: (s: SecretRecord, labels: Map<string, string>) => { changes: Change[]; patch: Partial<SecretRecord> },
  ): Promise<void> {
    const s = await this.deps.store.getSecretByUid(r.secretUid);
    if (!s) {
      await this.journalRaw(ended);
      return;
    }
    await mutateSecret(this.deps, s, async (fresh) => {
      const p = plan(fresh, labelsOf(await this.deps.store.listVersions(fresh.uid)));
      const next = revise(fresh, p.patch);
      for (const [k, v] of Object.entries(p.patch)) if (v === undefined) delete (next as unknown as Record<string, unknown>)[k];
      return { changes: [...p.changes, { op: "updateSecret", secret: next }, { op: "updateRotation", rotation: ended }], result: undefined };
    });
  }

  private async journal(r: RotationRecord, patch: { steps: StepRecord[] }): Promise<RotationRecord> {
    return this.journalRaw({ ...r, ...patch, leaseOwner: this.o.nodeId, leaseUntil: this.deps.clock() + this.o.leaseMs, revision: r.revision + 1 });
  }

  private async journalRaw(next: RotationRecord): Promise<RotationRecord> {
    try {
      await this.deps.store.commit([{ op: "updateRotation", rotation: next }]);
      return next;
    } catch (e) {
      if (e instanceof StoreConflict && e.kind === "revision") {
        const now = await this.deps.store.getRotation(next.id);
        if (now?.cancelRequested && now.leaseOwner === this.o.nodeId) return this.journalRaw({ ...next, cancelRequested: true, revision: now.revision + 1 });
        throw new LeaseLost(`rotation ${next.id} was taken over`);
      }
      throw e;
    }
  }

  private redact(e: unknown, seen: SeenValues): string {
    const msg = e instanceof Error ? e.message : String(e);
    return seen.redact(msg);
  }

  /** Starts (commits and launches) a rotation of `s`; for callers that have nothing else to commit. */
  async start(s: SecretRecord, req: StartRequest, extra: (s: SecretRecord) => Change[] = () => []): Promise<RotationRecord> {
    const { rotation, changes } = await this.planStart(s, req);
    await this.deps.store.commit([...changes, ...extra(s)]);
    this.launch(rotation);
    return rotation;
  }
}

function endLast(steps: StepRecord[], at: number, outcome: "succeeded" | "failed"): StepRecord[] {
  const out = steps.slice();
  const last = out[out.length - 1];
  if (last && last.endedAt === undefined) out[out.length - 1] = { ...last, endedAt: at, outcome };
  return out;
}
