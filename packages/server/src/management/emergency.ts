import { randomUUID } from "node:crypto";
import { ServiceError } from "@keyshift/protocol";
import type { SecretsDeps } from "../secrets/context.js";
import { labelsOf, mutateSecret, revise, saveWithReplicas } from "../secrets/mutation.js";
import type { SecretRecord } from "../secrets/records.js";
import { assertNotReplica } from "../secrets/resolve.js";
import { AWSCURRENT, AWSPREVIOUS } from "../secrets/stages.js";
import { sealValue, type PlainValue } from "../secrets/values.js";
import { pendingElsewhere } from "../rotation/api.js";
import type { RotationRecord } from "../rotation/records.js";
import { functionArn, parseFunctionArn } from "../rotation/registry.js";
import type { Change } from "../storage/store.js";

/** How an emergency rotation revoked the old credential, by kind of rotator (see docs/management-api.md). */
export type Revocation = "value-withdrawn" | "password-changed" | "both-users-changed" | "rotation-function";

export interface EmergencyOutcome {
  versionId: string;
  previousVersionId?: string;
  rotationIds: string[];
  rotatorArn: string;
  revocation: Revocation;
  generated: boolean;
}

const RANDOM = "keyshift-random-password";

function revocationOf(rotatorName: string | undefined): Revocation {
  if (rotatorName === RANDOM) return "value-withdrawn";
  if (rotatorName?.startsWith("keyshift-") && rotatorName.endsWith("-alternating-users")) return "both-users-changed";
  if (rotatorName?.startsWith("keyshift-")) return "password-changed";
  return "rotation-function";
}

/**
 * Emergency rotation: the secret gets a new value (`value`, or one its rotator generates) that
 * becomes AWSCURRENT at once, and the old credential is revoked at once: the rotator's setSecret
 * and finishSecret run now (a database password is changed now), AWSPREVIOUS is removed so that
 * the old value is served under no staging label, and an alternating-users rotator rotates twice
 * (the second pass changes the password of the login that was current, so neither login still
 * accepts a password from before). A rotation already running is cancelled first. Resolves when
 * it is done; a failed pass throws, leaving AWSCURRENT as the engine left it (never half-moved).
 * A secret without a rotator is rotated with keyshift-random-password (database secrets need one).
 */
export async function emergencyRotate(deps: SecretsDeps, first: SecretRecord, value: PlainValue | undefined): Promise<EmergencyOutcome> {
  assertNotReplica(first);
  let rotatorArn = first.rotationLambdaArn;
  if (!rotatorArn) {
    if (first.management?.secretType === "database") throw new ServiceError("InvalidRequestException", "A database secret needs a rotator for an emergency rotation: register it for rotation first.");
    rotatorArn = functionArn(first.region, first.accountId, RANDOM);
  }
  if (!(await deps.rotation.registry.resolve(rotatorArn, first.accountId))) throw new ServiceError("InvalidRequestException", "The secret's rotator is not available.");
  const revocation = revocationOf(parseFunctionArn(rotatorArn)?.name);
  const passes = revocation === "both-users-changed" ? 2 : 1;
  // An emergency pre-empts a rotation in progress (which is abandoned: AWSPENDING removed).
  await deps.rotation.cancel(first.uid);
  const before = labelsOf(await deps.store.listVersions(first.uid)).get(AWSCURRENT);
  const rotationIds: string[] = [];
  let versionId = "";
  for (let pass = 1; pass <= passes; pass++) {
    const supplied = pass === passes ? value : undefined;
    const r = await startPass(deps, first, rotatorArn, supplied);
    rotationIds.push(r.id);
    const done = await rotationEnded(deps, r.id);
    if (done?.status !== "succeeded") {
      throw new ServiceError("InvalidRequestException", `The emergency rotation ${r.id} did not succeed (${done?.status ?? "unknown"}): ${done?.error ?? "no result was recorded"}. See GET /v1/rotations?SecretId=... for its steps.`);
    }
    versionId = r.token;
  }
  await dropPrevious(deps, first);
  return { versionId, ...(before ? { previousVersionId: before } : {}), rotationIds, rotatorArn, revocation, generated: value === undefined };
}

/**
 * Waits until a rotation has ended. Usually this server drives it; but the scheduler's recovery
 * pass may have claimed it between its start and launch (it then runs under another driver), or
 * another server may drive it: then its row is polled.
 */
export async function rotationEnded(deps: SecretsDeps, id: string): Promise<RotationRecord | undefined> {
  for (let wait = 10; ; wait = Math.min(wait * 2, 500)) {
    await deps.rotation.settled(id);
    const r = await deps.store.getRotation(id);
    if (!r || r.status !== "running") return r;
    await new Promise((res) => setTimeout(res, wait));
  }
}

/** Commits the start of one emergency rotation (with the supplied value already in AWSPENDING) and launches it. */
async function startPass(deps: SecretsDeps, first: SecretRecord, rotatorArn: string, value: PlainValue | undefined): Promise<RotationRecord> {
  let started: RotationRecord | undefined;
  await mutateSecret(deps, first, async (s) => {
    if (s.deletedAt !== undefined) throw new ServiceError("InvalidRequestException", "You can't rotate a secret that is scheduled for deletion.");
    if ((await deps.store.getRunningRotation(s.uid)) || pendingElsewhere(labelsOf(await deps.store.listVersions(s.uid))) !== undefined) {
      throw new ServiceError("InvalidRequestException", "A rotation of this secret is in progress and could not be cancelled; try again.");
    }
    const token = randomUUID();
    const next = revise(s, {});
    delete next.rotationDueAt;
    const plan = await deps.rotation.planStart(next, { method: "emergency", rotatorArn, token, immediately: true });
    started = plan.rotation;
    const changes: Change[] = [{ op: "updateSecret", secret: next }, ...plan.changes];
    // The rotators' createSecret keeps a value already in AWSPENDING: the supplied one is used as is.
    if (value) changes.push({ op: "setVersionValue", secretUid: s.uid, versionId: token, kind: value.kind, sealed: await sealValue(deps, s, token, value) });
    return { changes, result: undefined };
  });
  deps.rotation.launch(started!);
  return started!;
}

/** Removes AWSPREVIOUS: the replaced value is no longer served under any staging label. */
async function dropPrevious(deps: SecretsDeps, first: SecretRecord): Promise<void> {
  const fresh = (await deps.store.getSecretByUid(first.uid)) ?? first;
  await mutateSecret(deps, fresh, async (s) => {
    const labels = labelsOf(await deps.store.listVersions(s.uid));
    if (!labels.has(AWSPREVIOUS)) return { changes: [], result: undefined };
    return {
      changes: [{ op: "setStage", secretUid: s.uid, stage: AWSPREVIOUS, versionId: null }, ...(await saveWithReplicas(deps, revise(s, { lastChangedAt: deps.clock() })))],
      result: undefined,
    };
  });
}
