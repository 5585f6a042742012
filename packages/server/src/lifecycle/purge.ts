import type { Store } from "../storage/store.js";

export interface PurgeOptions {
  store: Store;
  clock: () => number;
  intervalMs: number;
  onPurged?: (arn: string) => void;
  onError: (e: unknown) => void;
}

/** Deletes every secret whose recovery window has ended; returns how many. */
export async function purgeDueSecrets(store: Store, now: number): Promise<string[]> {
  const purged: string[] = [];
  for (;;) {
    const due = await store.listSecretsDueForPurge(now, 100);
    if (due.length === 0) return purged;
    for (const s of due) {
      // Replicas go with their primary (DeleteSecret refuses a primary that still has any).
      await store.commit([...(s.replicas ?? []).flatMap((r) => (r.replicaUid ? [{ op: "deleteSecret" as const, uid: r.replicaUid }] : [])), { op: "deleteSecret", uid: s.uid }]);
      purged.push(s.arn);
    }
  }
}

/** The background purge: runs every `intervalMs` (never two at once) until stopped. */
export function startPurgeJob(o: PurgeOptions): { stop(): void; runNow(): Promise<void> } {
  let running: Promise<void> | undefined;
  const run = () => {
    running ??= purgeDueSecrets(o.store, o.clock())
      .then((arns) => arns.forEach((a) => o.onPurged?.(a)), o.onError)
      .finally(() => {
        running = undefined;
      });
    return running;
  };
  const timer = setInterval(run, o.intervalMs);
  timer.unref();
  return {
    stop: () => clearInterval(timer),
    runNow: run,
  };
}
