import type { AccessBatch, Store } from "../storage/store.js";

/**
 * LastAccessedDate bookkeeping off the read path: a read notes (secret, version, day) in memory
 * and the tracker writes the notes in one transaction per flush (every `intervalMs`, and on
 * close). Day resolution means each secret and version is written at most once a day; a crash
 * loses at most the last interval's notes, which only delays a date that is a day coarse anyway.
 */
export class AccessTracker {
  private secrets = new Map<string, number>();
  private versions = new Map<string, { secretUid: string; versionId: string; day: number }>();
  private readonly timer: NodeJS.Timeout;
  private flushing: Promise<void> | undefined;

  constructor(
    private readonly store: Store,
    intervalMs: number,
    private readonly onError: (e: unknown) => void,
  ) {
    this.timer = setInterval(() => void this.flush(), intervalMs);
    this.timer.unref();
  }

  note(secretUid: string, versionOwnerUid: string, versionId: string, day: number): void {
    if ((this.secrets.get(secretUid) ?? 0) < day) this.secrets.set(secretUid, day);
    const k = `${versionOwnerUid}\u0000${versionId}`;
    if ((this.versions.get(k)?.day ?? 0) < day) this.versions.set(k, { secretUid: versionOwnerUid, versionId, day });
  }

  /** Writes what has been noted so far. */
  flush(): Promise<void> {
    if (this.flushing) return this.flushing.then(() => this.flush());
    if (this.secrets.size === 0 && this.versions.size === 0) return Promise.resolve();
    const batch: AccessBatch = { secrets: [...this.secrets].map(([uid, day]) => ({ uid, day })), versions: [...this.versions.values()] };
    this.secrets = new Map();
    this.versions = new Map();
    this.flushing = this.store.recordAccess(batch).catch(this.onError).finally(() => (this.flushing = undefined));
    return this.flushing;
  }

  async close(): Promise<void> {
    clearInterval(this.timer);
    await this.flush();
  }
}
