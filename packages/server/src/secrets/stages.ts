import { ServiceError } from "@keyshift/protocol";

export const AWSCURRENT = "AWSCURRENT";
export const AWSPREVIOUS = "AWSPREVIOUS";
export const AWSPENDING = "AWSPENDING";
/** AWS quota: staging labels attached to the versions of one secret at a time. */
export const MAX_LABELS_PER_SECRET = 20;

/** stage → version id: where every label of a secret is now. */
export type Labels = ReadonlyMap<string, string>;
export interface LabelMove {
  stage: string;
  versionId: string | null;
}

/**
 * Labels to move so that `versionId` carries `stages`, as PutSecretValue and UpdateSecret do:
 * each label leaves the version that has it; when AWSCURRENT moves, AWSPREVIOUS goes to the
 * version that held AWSCURRENT, and an AWSPENDING left on that version (a finished rotation)
 * is removed, as AWS does (ground truth: test_update_secret_version_stages_current_pending).
 */
export function attachLabels(labels: Labels, versionId: string, stages: readonly string[]): LabelMove[] {
  const moves: LabelMove[] = [];
  const oldCurrent = labels.get(AWSCURRENT);
  if (stages.includes(AWSCURRENT) && oldCurrent !== undefined && oldCurrent !== versionId) {
    if (!stages.includes(AWSPREVIOUS)) moves.push({ stage: AWSPREVIOUS, versionId: oldCurrent });
    if (labels.get(AWSPENDING) === oldCurrent && !stages.includes(AWSPENDING)) moves.push({ stage: AWSPENDING, versionId: null });
  }
  for (const s of new Set(stages)) if (labels.get(s) !== versionId) moves.push({ stage: s, versionId });
  return moves;
}

/**
 * UpdateSecretVersionStage: move `stage` to `moveTo` and/or remove it from `removeFrom`, with
 * AWS's rules. Throws InvalidParameterException for an inconsistent request. `exists` tells
 * whether a version id belongs to the secret.
 */
export function moveLabel(
  labels: Labels,
  stage: string,
  removeFrom: string | undefined,
  moveTo: string | undefined,
  exists: (versionId: string) => boolean,
): LabelMove[] {
  const holder = labels.get(stage);
  for (const v of [removeFrom, moveTo]) {
    if (v !== undefined && !exists(v)) throw new ServiceError("InvalidParameterException", `Not a valid version: ${v}`);
  }
  if (removeFrom !== undefined && holder !== removeFrom) {
    throw new ServiceError("InvalidParameterException", `Version stage ${stage} not found in version ${removeFrom}`);
  }
  if (moveTo === undefined) {
    if (removeFrom === undefined) {
      throw new ServiceError("InvalidParameterException", "You must specify either RemoveFromVersionId or MoveToVersionId.");
    }
    if (stage === AWSCURRENT) {
      throw new ServiceError("InvalidParameterException", "You can't remove the staging label AWSCURRENT without moving it to another version with MoveToVersionId.");
    }
    return [{ stage, versionId: null }];
  }
  if (holder === moveTo) return [];
  if (holder !== undefined && removeFrom === undefined) {
    throw new ServiceError(
      "InvalidParameterException",
      `The parameter RemoveFromVersionId can't be empty. Staging label ${stage} is currently attached to version ${holder}, so you must explicitly reference that version in RemoveFromVersionId.`,
    );
  }
  const moves: LabelMove[] = [];
  if (stage === AWSCURRENT && holder !== undefined) moves.push({ stage: AWSPREVIOUS, versionId: holder });
  moves.push({ stage, versionId: moveTo });
  return moves;
}

/** Labels after the moves; throws LimitExceededException past the per-secret quota. */
export function applyMoves(labels: Labels, moves: readonly LabelMove[]): Map<string, string> {
  const next = new Map(labels);
  for (const m of moves) {
    if (m.versionId === null) next.delete(m.stage);
    else next.set(m.stage, m.versionId);
  }
  if (next.size > MAX_LABELS_PER_SECRET && next.size > labels.size) {
    throw new ServiceError("LimitExceededException", `A secret can have at most ${MAX_LABELS_PER_SECRET} staging labels attached to its versions.`);
  }
  return next;
}
