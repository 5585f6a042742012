import type { SecretValue } from "./secret-value.js";
import type { SecretRequest } from "./transport.js";

/** A request in flight for a cache entry; `fresh` ones started after the caller asked to bypass the cache. */
export interface Flight {
  promise: Promise<SecretValue>;
  fresh: boolean;
}

/** What the cache knows about one (secret id, version id, version stage). */
export interface CacheEntry {
  readonly request: SecretRequest;
  /** The last good value (kept past its expiry for stale-if-error). */
  value?: SecretValue;
  /** When `value` was fetched (ms, client clock). */
  fetchedAt: number;
  /** When `value` stops being fresh (ms, client clock); 0 after an invalidation. */
  expiresAt: number;
  /** Bumped by every invalidation: a flight that started under an older generation stores its value as expired. */
  generation: number;
  /** Recency stamp for LRU eviction. */
  lastUsed: number;
  flight?: Flight;
}

/** A version the application holds, as reported to the server. */
export interface Holding {
  ARN: string;
  VersionId: string;
  VersionStages: string[];
}

/** The request a cache key stands for: no version id and no stage means AWSCURRENT. */
export function normalizeRequest(r: SecretRequest): SecretRequest {
  return {
    SecretId: r.SecretId,
    ...(r.VersionId !== undefined ? { VersionId: r.VersionId } : {}),
    ...(r.VersionStage !== undefined || r.VersionId === undefined ? { VersionStage: r.VersionStage ?? "AWSCURRENT" } : {}),
  };
}

/**
 * The client's per-request state, keyed by (SecretId as given, VersionId, VersionStage): last
 * good value, freshness, invalidation generation and the request in flight. Bounded: past
 * `maxEntries` the least recently used entries without a request in flight are dropped.
 */
export class SecretCache {
  /** SecretId → (version key → entry): the caller's SecretId string is usually one constant, whose hash V8 keeps. */
  private readonly bySecret = new Map<string, Map<string, CacheEntry>>();
  private count = 0;
  private uses = 0;

  constructor(private readonly o: { maxEntries: number; onHoldingsChanged?: () => void }) {}

  /**
   * The entry of a request, created empty when missing; marks it recently used. This is the
   * hot path of every cached read: two Map lookups, no allocation for the AWSCURRENT case
   * (NUL cannot occur in a VersionId or a stage, so the version key is unambiguous).
   */
  entry(secretId: string, versionId?: string, versionStage?: string): CacheEntry {
    const sub = versionId === undefined ? (versionStage ?? "AWSCURRENT") : `${versionId}\0${versionStage ?? ""}`;
    let versions = this.bySecret.get(secretId);
    let e = versions?.get(sub);
    if (e) {
      e.lastUsed = ++this.uses;
      return e;
    }
    const request = normalizeRequest({ SecretId: secretId, ...(versionId !== undefined ? { VersionId: versionId } : {}), ...(versionStage !== undefined ? { VersionStage: versionStage } : {}) });
    e = { request, fetchedAt: 0, expiresAt: 0, generation: 0, lastUsed: ++this.uses };
    if (!versions) this.bySecret.set(secretId, (versions = new Map()));
    versions.set(sub, e);
    if (++this.count > this.o.maxEntries) this.evict();
    return e;
  }

  private *all(): Generator<CacheEntry> {
    for (const versions of this.bySecret.values()) yield* versions.values();
  }

  /** Stores a value fetched under `generation`: fresh until `expiresAt`, or already expired if the entry was invalidated meanwhile. */
  store(e: CacheEntry, value: SecretValue, generation: number, fetchedAt: number, expiresAt: number): void {
    // A request overtaken by an invalidation must not replace what a later request brought.
    if (generation !== e.generation && e.value && e.fetchedAt > fetchedAt) return;
    const changed = e.value?.ARN !== value.ARN || e.value?.VersionId !== value.VersionId;
    e.value = value;
    e.fetchedAt = fetchedAt;
    e.expiresAt = generation === e.generation ? expiresAt : 0;
    if (changed) this.o.onHoldingsChanged?.();
  }

  /** Expires the entries `match` selects (their values stay for stale-if-error) and detaches their flights; returns them. */
  invalidate(match: (e: CacheEntry) => boolean): CacheEntry[] {
    const hit: CacheEntry[] = [];
    for (const e of this.all()) {
      if (!match(e)) continue;
      e.generation++;
      e.expiresAt = 0;
      delete e.flight;
      hit.push(e);
    }
    return hit;
  }

  /** Forgets every entry (values included). */
  clear(): void {
    const had = this.holdings().length > 0;
    for (const e of this.all()) {
      e.generation++;
      delete e.flight;
    }
    this.bySecret.clear();
    this.count = 0;
    if (had) this.o.onHoldingsChanged?.();
  }

  get size(): number {
    return this.count;
  }

  /** The versions held now: one per (ARN, VersionId), stages merged. */
  holdings(): Holding[] {
    const out = new Map<string, Holding>();
    for (const e of this.all()) {
      const v = e.value;
      if (!v) continue;
      const k = `${v.ARN}\n${v.VersionId}`;
      const h = out.get(k) ?? { ARN: v.ARN, VersionId: v.VersionId, VersionStages: [] };
      for (const s of v.VersionStages) if (!h.VersionStages.includes(s)) h.VersionStages.push(s);
      out.set(k, h);
    }
    return [...out.values()].sort((a, b) => (a.ARN + a.VersionId < b.ARN + b.VersionId ? -1 : 1));
  }

  /** Drops least recently used entries without a request in flight until the bound holds (a scan: only misses get here). */
  private evict(): void {
    let dropped = false;
    while (this.count > this.o.maxEntries) {
      let oldest: { secretId: string; sub: string; e: CacheEntry } | undefined;
      for (const [secretId, versions] of this.bySecret) {
        for (const [sub, e] of versions) if (!e.flight && (!oldest || e.lastUsed < oldest.e.lastUsed)) oldest = { secretId, sub, e };
      }
      if (!oldest) break;
      const versions = this.bySecret.get(oldest.secretId)!;
      versions.delete(oldest.sub);
      if (versions.size === 0) this.bySecret.delete(oldest.secretId);
      this.count--;
      dropped ||= oldest.e.value !== undefined;
    }
    if (dropped) this.o.onHoldingsChanged?.();
  }
}
