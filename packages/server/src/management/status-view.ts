import { LIVE_MS } from "../changes/routes.js";
import type { SecretsDeps } from "../secrets/context.js";
import { labelsOf } from "../secrets/mutation.js";
import type { SecretRecord } from "../secrets/records.js";
import { seconds } from "./access.js";
import { scheduleView } from "./schedule-view.js";

/**
 * The observability view of a secret: metadata only — rotation state, the rotation in progress
 * and the last one, last and next rotation, last access (pending access notes flushed first),
 * consumers holding one of its versions, failures. Never a value.
 */
export async function statusView(deps: SecretsDeps, s: SecretRecord) {
  await deps.access.flush();
  const fresh = (await deps.store.getSecretByUid(s.uid)) ?? s;
  const now = deps.clock();
  const running = await deps.store.getRunningRotation(s.uid);
  const [last] = await deps.store.listRotations({ accountId: s.accountId, secretUid: s.uid, limit: 1, ...(running ? { before: { startedAt: running.startedAt, id: running.id } } : {}) });
  const versions = await deps.store.listVersions(s.uid);
  const schedule = scheduleView(fresh, now);
  const status = running ? "rotating" : fresh.rotationFailing ? "failing" : schedule.overdue ? "overdue" : schedule.due ? "due" : fresh.rotationEnabled ? "scheduled" : "not_scheduled";
  const consumers = (await deps.store.listConsumers(s.accountId)).flatMap((c) =>
    c.holdings.filter((h) => h.ARN === s.arn).map((h) => ({
      consumer_id: c.consumerId, ...(c.name ? { name: c.name } : {}), kind: c.kind, principal_arn: c.principalArn,
      last_seen: seconds(c.lastSeen), live: now - c.lastSeen <= LIVE_MS, version_id: h.VersionId, ...(h.VersionStages ? { version_stages: h.VersionStages } : {}),
    })),
  );
  return {
    ...schedule,
    rotation_status: status,
    ...(running ? { current_rotation: { rotation_id: running.id, method: running.method, step: running.steps.at(-1)?.step, started_at: seconds(running.startedAt) } } : {}),
    ...(last ? { last_rotation: { rotation_id: last.id, method: last.method, status: last.status, started_at: seconds(last.startedAt), ...(last.endedAt !== undefined ? { ended_at: seconds(last.endedAt) } : {}), ...(last.error ? { error: last.error } : {}) } } : {}),
    ...(fresh.lastAccessedAt !== undefined ? { last_accessed_at: seconds(fresh.lastAccessedAt) } : {}),
    created_at: seconds(fresh.createdAt),
    last_changed_at: seconds(fresh.lastChangedAt),
    versions: versions.filter((v) => v.stages.length > 0).map((v) => ({ version_id: v.versionId, stages: v.stages, created_at: seconds(v.createdAt) })),
    current_version_id: labelsOf(versions).get("AWSCURRENT") ?? null,
    consumers,
  };
}
