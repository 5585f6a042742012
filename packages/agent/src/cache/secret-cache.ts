import type { Logger } from "../log.js";
import { fetchKey } from "../outputs/secret-ref.js";
import { UpstreamError, type Holding, type SecretChange, type SecretValue, type Upstream } from "../upstream/upstream.js";
import { responseBody } from "./response-body.js";

/** What a request or an output asks for (the cache key). */
export interface SecretKey {
  secretId: string;
  versionId?: string;
  versionStage?: string;
}

/**
 * One cached answer. The object is stable for the key's life in the cache: a refresh replaces
 * `value` and `body` in place, so an index (such as the HTTP server's by request URL) can hold it.
 */
export interface CacheEntry {
  readonly key: string;
  readonly query: SecretKey;
  value: SecretValue;
  /** The precomputed response body for `value`, and its response headers (raw name/value list). */
  body: Buffer;
  head: string[];
  /** ms; a request after this revalidates. Invalidation sets it to the past. */
  expiresAt: number;
  /** ms; when this value stopped being known-good (its expiry or an invalidation): the start of max_stale. */
  staleSince: number;
  evicted: boolean;
  pending?: Promise<void>;
  /** Changes from the feed so far: a refresh whose upstream call began before the latest one runs again (its answer may predate the change). */
  changes?: number;
}

export interface CacheAnswer {
  entry: CacheEntry;
  /** The upstream could not be reached: this is the last good value, past its TTL. */
  stale: boolean;
}

export interface SecretCacheOptions {
  upstream: Upstream;
  /** 0 disables caching: every request goes upstream. */
  ttlMs: number;
  size: number;
  maxStaleMs: number;
  ignoreTransientErrors: boolean;
  logger: Logger;
  now?: () => number;
  /** Hears every entry whose version or labels changed, and every eviction or deletion. */
  onChange?: (e: CacheEntry, why: "value" | "removed") => void;
}

function setBody(e: CacheEntry): void {
  e.body = responseBody(e.value);
  e.head = ["Content-Length", String(e.body.length)];
}

function sameStages(a: readonly string[] | undefined, b: readonly string[]): boolean {
  if (!a || a.length !== b.length) return false;
  const s = [...b].sort();
  return [...a].sort().every((x, i) => x === s[i]);
}

/**
 * The agent's cache, with the AWS agent's semantics: keyed by (secretId, versionId,
 * versionStage), LRU-bounded, refreshNow bypasses it (and a failure leaves it unchanged), an
 * expired entry is revalidated with DescribeSecret (renewed when its version still has the
 * stage, refetched otherwise). Keyshift's additions: `applyChange`/`revalidateAll` from the
 * change feed, and serving the last good value for `maxStaleMs` past its expiry while the
 * upstream is unavailable (transient errors only). Concurrent misses and refreshes of one key
 * share one upstream call. Values never reach the logger.
 */
export class SecretCache {
  private readonly map = new Map<string, CacheEntry>();
  private readonly misses = new Map<string, Promise<CacheEntry>>();
  private readonly now: () => number;
  /** The entry touched last (already at the end of the LRU order). */
  private last: CacheEntry | undefined;

  constructor(private readonly o: SecretCacheOptions) {
    this.now = o.now ?? Date.now;
  }

  get size(): number {
    return this.map.size;
  }

  entries(): IterableIterator<CacheEntry> {
    return this.map.values();
  }

  /** Marks `e` as the most recently used. */
  touch(e: CacheEntry): void {
    if (e.evicted || e === this.last) return;
    this.last = e;
    this.map.delete(e.key);
    this.map.set(e.key, e);
  }

  private make(q: SecretKey, key: string, v: SecretValue): CacheEntry {
    const now = this.now();
    const body = responseBody(v);
    return { key, query: q, value: v, body, head: ["Content-Length", String(body.length)], expiresAt: now + this.o.ttlMs, staleSince: now + this.o.ttlMs, evicted: false };
  }

  private set(e: CacheEntry, v: SecretValue): void {
    const changed = e.value.VersionId !== v.VersionId || !sameStages(e.value.VersionStages, v.VersionStages ?? []) || e.value.SecretString !== v.SecretString || e.value.SecretBinary !== v.SecretBinary;
    if (changed) {
      e.value = v;
      setBody(e);
    }
    this.renew(e);
    if (changed) this.o.onChange?.(e, "value");
  }

  private renew(e: CacheEntry): void {
    e.expiresAt = e.staleSince = this.now() + this.o.ttlMs;
  }

  private insert(e: CacheEntry): void {
    this.map.set(e.key, e);
    this.last = e;
    while (this.map.size > this.o.size) {
      const oldest = this.map.values().next().value as CacheEntry;
      this.remove(oldest);
    }
    this.o.onChange?.(e, "value");
  }

  private remove(e: CacheEntry): void {
    if (this.map.get(e.key) === e) this.map.delete(e.key);
    if (this.last === e) this.last = undefined;
    e.evicted = true;
    this.o.onChange?.(e, "removed");
  }

  private request(q: SecretKey) {
    return { SecretId: q.secretId, ...(q.versionId ? { VersionId: q.versionId } : {}), ...(q.versionStage ? { VersionStage: q.versionStage } : {}) };
  }

  /**
   * The answer for `q`. Rejects with the upstream's error (an UpstreamError) when there is no
   * value to give: nothing cached, refreshNow, a non-transient error, or stale beyond max_stale.
   */
  async get(q: SecretKey, refreshNow = false): Promise<CacheAnswer> {
    if (this.o.ttlMs === 0) {
      const v = await this.o.upstream.getSecretValue(this.request(q));
      return { entry: this.make(q, "", v), stale: false };
    }
    const key = fetchKey(q);
    const e = this.map.get(key);
    if (refreshNow) {
      const v = await this.o.upstream.getSecretValue(this.request(q));
      const cur = this.map.get(key);
      if (cur) {
        this.set(cur, v);
        return { entry: cur, stale: false };
      }
      const fresh = this.make(q, key, v);
      this.insert(fresh);
      return { entry: fresh, stale: false };
    }
    if (!e) return { entry: await this.miss(q, key), stale: false };
    this.touch(e);
    if (this.now() < e.expiresAt) return { entry: e, stale: false };
    try {
      await this.revalidate(e, "describe");
      return { entry: e, stale: false };
    } catch (err) {
      if (this.servesStale(e, err)) {
        this.o.logger.warn("serving a stale value: the upstream is unavailable", { secret: e.value.ARN, version: e.value.VersionId, error: (err as Error).message });
        return { entry: e, stale: true };
      }
      throw err;
    }
  }

  private servesStale(e: CacheEntry, err: unknown): boolean {
    return this.o.ignoreTransientErrors && err instanceof UpstreamError && err.transient && !e.evicted && this.now() < e.staleSince + this.o.maxStaleMs;
  }

  private miss(q: SecretKey, key: string): Promise<CacheEntry> {
    let p = this.misses.get(key);
    if (!p) {
      p = this.o.upstream.getSecretValue(this.request(q)).then(
        (v) => {
          this.misses.delete(key);
          const cur = this.map.get(key);
          if (cur) {
            this.set(cur, v);
            return cur;
          }
          const e = this.make(q, key, v);
          this.insert(e);
          return e;
        },
        (err: unknown) => {
          this.misses.delete(key);
          throw err;
        },
      );
      this.misses.set(key, p);
    }
    return p;
  }

  /**
   * Brings `e` up to date (one call at a time per entry; a caller arriving meanwhile shares it).
   * `describe`: DescribeSecret first, refetch only when the version lost its stage; `fetch`:
   * GetSecretValue directly (the feed said it changed).
   */
  revalidate(e: CacheEntry, how: "describe" | "fetch"): Promise<void> {
    if (e.pending) return e.pending;
    const run = async () => {
      for (;;) {
        if (how === "describe") {
          const seen = e.changes ?? 0;
          const d = await this.o.upstream.describeSecret(e.query.secretId);
          const stages = d.ARN === e.value.ARN ? d.VersionIdsToStages[e.value.VersionId] : undefined;
          if (stages && this.holds(e, stages) && (e.changes ?? 0) === seen) {
            this.set(e, { ...e.value, VersionStages: stages });
            return;
          }
        }
        // Counted when the call starts: a change during the describe above is one this fetch already sees.
        const seen = e.changes ?? 0;
        const v = await this.o.upstream.getSecretValue(this.request(e.query));
        if ((e.changes ?? 0) === seen) {
          this.set(e, v);
          return;
        }
        // A change arrived while the call was under way (a rotation's steps come milliseconds apart): fetch again.
        how = "fetch";
      }
    };
    e.pending = run().finally(() => {
      e.pending = undefined;
    });
    return e.pending;
  }

  /** Whether the version of `e`, now labeled `stages`, is still the one its key designates. */
  private holds(e: CacheEntry, stages: readonly string[]): boolean {
    if (e.query.versionStage) return stages.includes(e.query.versionStage);
    if (e.query.versionId) return true;
    return stages.includes("AWSCURRENT");
  }

  private invalidate(e: CacheEntry, how: "describe" | "fetch"): void {
    e.changes = (e.changes ?? 0) + 1;
    const now = this.now();
    e.expiresAt = now;
    e.staleSince = Math.min(e.staleSince, now);
    // A request arriving before this ends waits for it (the entry is expired and pending).
    this.revalidate(e, how).catch((err: unknown) => {
      this.o.logger.warn("refresh after a change failed; the next request retries", { secret: e.value.ARN, error: (err as Error).message });
    });
  }

  /**
   * A change from the feed: entries of a deleted secret are dropped; entries whose version
   * still carries their stage only get their labels updated; the others are refetched now.
   */
  applyChange(c: SecretChange): void {
    for (const e of [...this.map.values()]) {
      if (e.value.ARN !== c.ARN) continue;
      if (c.Type === "SecretDeleted") {
        this.remove(e);
        continue;
      }
      const stages = c.VersionIdsToStages?.[e.value.VersionId];
      if (c.VersionIdsToStages && stages && this.holds(e, stages)) {
        if (!sameStages(e.value.VersionStages, stages)) {
          e.value = { ...e.value, VersionStages: stages };
          setBody(e);
          this.o.onChange?.(e, "value");
        }
        continue;
      }
      this.invalidate(e, "fetch");
    }
  }

  /** After a feed `reset` (changes may have been missed): every entry is revalidated now. */
  revalidateAll(): void {
    for (const e of [...this.map.values()]) this.invalidate(e, "describe");
  }

  /** The versions held, one per (ARN, VersionId), for consumer reporting. */
  holdings(): Holding[] {
    const seen = new Map<string, Holding>();
    for (const e of this.map.values()) {
      const k = `${e.value.ARN}\n${e.value.VersionId}`;
      if (!seen.has(k)) seen.set(k, { ARN: e.value.ARN, VersionId: e.value.VersionId, VersionStages: [...(e.value.VersionStages ?? [])] });
    }
    return [...seen.values()];
  }
}
