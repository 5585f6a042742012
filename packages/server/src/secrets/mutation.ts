import { ServiceError, messages } from "@keyshift/protocol";
import { StoreConflict, type Change } from "../storage/store.js";
import type { SecretsDeps } from "./context.js";
import type { SecretRecord, VersionMeta } from "./records.js";
import type { Labels, LabelMove } from "./stages.js";

const MAX_ATTEMPTS = 8;

export interface Plan<T> {
  changes: Change[];
  result: T;
}

/**
 * Optimistic read-plan-commit for one secret: `plan` computes the changes from the secret as
 * read; if another writer committed in between (revision conflict) the secret is read again and
 * planned again. A request therefore never half-applies and never overwrites a concurrent write.
 */
export async function mutateSecret<T>(deps: SecretsDeps, first: SecretRecord, plan: (s: SecretRecord) => Promise<Plan<T>>): Promise<T> {
  let s: SecretRecord | undefined = first;
  for (let attempt = 1; ; attempt++) {
    if (!s) throw new ServiceError("ResourceNotFoundException", messages.secretNotFound);
    const p = await plan(s);
    try {
      await deps.store.commit(p.changes);
      return p.result;
    } catch (e) {
      if (!(e instanceof StoreConflict) || e.kind !== "revision" || attempt >= MAX_ATTEMPTS) throw e;
      s = await deps.store.getSecretByUid(first.uid);
    }
  }
}

/** The next revision of a secret with `patch` applied. */
export function revise(s: SecretRecord, patch: Partial<SecretRecord>): SecretRecord {
  return { ...s, ...patch, revision: s.revision + 1 };
}

/** Metadata a replica mirrors from its primary. */
const MIRRORED = ["description", "type", "owningService", "rotationEnabled", "rotationLambdaArn", "rotationRules", "lastRotatedAt", "nextRotationAt", "tags", "resourcePolicy", "lastChangedAt"] as const;

/**
 * Changes that store a new revision of a primary and bring its in-sync replicas along in the
 * same commit, so that a replica never shows metadata its primary no longer has.
 */
export async function saveWithReplicas(deps: SecretsDeps, next: SecretRecord): Promise<Change[]> {
  const changes: Change[] = [{ op: "updateSecret", secret: next }];
  for (const r of next.replicas ?? []) {
    if (r.Status !== "InSync" || !r.replicaUid) continue;
    const replica = await deps.store.getSecretByUid(r.replicaUid);
    if (!replica) continue;
    const mirrored: SecretRecord = { ...replica, revision: replica.revision + 1 };
    for (const k of MIRRORED) {
      if (next[k] === undefined) delete mirrored[k];
      else (mirrored as unknown as Record<string, unknown>)[k] = next[k];
    }
    changes.push({ op: "updateSecret", secret: mirrored });
  }
  return changes;
}

export function labelsOf(versions: readonly VersionMeta[]): Map<string, string> {
  const m = new Map<string, string>();
  for (const v of versions) for (const s of v.stages) m.set(s, v.versionId);
  return m;
}

export function labelChanges(secretUid: string, moves: readonly LabelMove[]): Change[] {
  return moves.map((m) => ({ op: "setStage", secretUid, stage: m.stage, versionId: m.versionId }));
}

/** AWS keeps about 100 versions: beyond that, unlabeled versions older than a day are removed, oldest first. */
export const MAX_VERSIONS = 100;
const PURGE_MIN_AGE_MS = 24 * 3600_000;

export function versionPurge(secretUid: string, versions: readonly VersionMeta[], labelsAfter: Labels, now: number): Change[] {
  const excess = versions.length - MAX_VERSIONS;
  if (excess <= 0) return [];
  const labeled = new Set(labelsAfter.values());
  return versions
    .filter((v) => !labeled.has(v.versionId) && v.createdAt <= now - PURGE_MIN_AGE_MS)
    .sort((a, b) => a.createdAt - b.createdAt)
    .slice(0, excess)
    .map((v) => ({ op: "deleteVersion", secretUid, versionId: v.versionId }));
}
