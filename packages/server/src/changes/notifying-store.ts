import type { SecretRecord } from "../secrets/records.js";
import { secretUidOf, type Change, type Store } from "../storage/store.js";
import type { ChangeFeed } from "./change-feed.js";

/**
 * Publishes a change-feed event for every secret a commit touched, after the commit: created,
 * changed (versions, labels, metadata) or deleted, with its labels as they are now. A replica
 * shares its primary's versions, so a primary's change is published for its replicas too.
 * Publishing never fails or delays the commit's caller beyond the reads it needs.
 */
export function notifyingCommit(store: Store, feed: ChangeFeed, onError: (e: unknown) => void): (changes: readonly Change[], commit: () => Promise<void>) => Promise<void> {
  return async (changes, commit) => {
    const uids = new Set<string>();
    const created = new Set<string>();
    const deleted = new Map<string, SecretRecord>();
    for (const c of changes) {
      const uid = secretUidOf(c);
      if (uid === undefined) continue;
      uids.add(uid);
      if (c.op === "insertSecret") created.add(uid);
    }
    if (uids.size === 0) return commit();
    for (const c of changes) {
      if (c.op !== "deleteSecret") continue;
      const before = await store.getSecretByUid(c.uid);
      if (before) deleted.set(c.uid, before);
    }
    await commit();
    publishAll(store, feed, uids, created, deleted).catch(onError);
  };
}

async function publishAll(store: Store, feed: ChangeFeed, uids: Set<string>, created: Set<string>, deleted: Map<string, SecretRecord>): Promise<void> {
  const secrets: { s: SecretRecord; type: "SecretCreated" | "SecretChanged"; owner: string }[] = [];
  for (const uid of uids) {
    const gone = deleted.get(uid);
    if (gone) {
      feed.publish({ Type: "SecretDeleted", Account: gone.accountId, Region: gone.region, ARN: gone.arn, Name: gone.name });
      continue;
    }
    const s = await store.getSecretByUid(uid);
    if (!s) continue;
    secrets.push({ s, type: created.has(uid) ? "SecretCreated" : "SecretChanged", owner: s.primaryUid ?? s.uid });
    for (const r of s.replicas ?? []) {
      if (!r.replicaUid || uids.has(r.replicaUid)) continue;
      const replica = await store.getSecretByUid(r.replicaUid);
      if (replica) secrets.push({ s: replica, type: "SecretChanged", owner: s.uid });
    }
  }
  const stages = await store.stagesBySecret([...new Set(secrets.map((x) => x.owner))]);
  for (const { s, type, owner } of secrets) {
    const m = stages.get(owner);
    feed.publish({ Type: type, Account: s.accountId, Region: s.region, ARN: s.arn, Name: s.name, VersionIdsToStages: m ? Object.fromEntries(m) : {} });
  }
}

/** `store` with every commit published to `feed` (a proxy: every other method is the store's own). */
export function withChangeFeed(store: Store, feed: ChangeFeed, onError: (e: unknown) => void): Store {
  const notify = notifyingCommit(store, feed, onError);
  const commit = (changes: readonly Change[]) => notify(changes, () => store.commit(changes));
  // Bound once per method: the read path (GetSecretValue) goes through here on every request.
  const bound = new Map<PropertyKey, unknown>();
  return new Proxy(store, {
    get(target, prop, receiver) {
      if (prop === "commit") return commit;
      let b = bound.get(prop);
      if (b === undefined) {
        const v = Reflect.get(target, prop, receiver) as unknown;
        if (typeof v !== "function") return v;
        bound.set(prop, (b = (v as (...a: unknown[]) => unknown).bind(target)));
      }
      return b;
    },
  });
}
