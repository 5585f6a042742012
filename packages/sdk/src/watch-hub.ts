import { ChangeFeed, type ChangeEvent, type FeedSignal } from "./change-feed.js";
import { isSecretsError } from "./errors.js";
import { secretIdMatches } from "./secret-match.js";
import type { SecretValue } from "./secret-value.js";
import type { ManagementEndpoint } from "./transport.js";

/** A subscription made by `KeyshiftClient.watch`. */
export interface SecretWatch {
  /** Resolves once the watch knows the current version and the change feed is connected (or known to be absent). Never rejects. */
  readonly ready: Promise<void>;
  close(): void;
}

export interface WatchHubOptions {
  /** Reads a secret through the client's cache; `refresh` (polling) bypasses it. */
  read: (secretId: string, versionStage: string, refresh: boolean) => Promise<SecretValue>;
  /** Invalidate the cache entries of a changed secret, or all of them (`undefined`). */
  invalidate: (change: ChangeEvent | undefined) => void;
  /** The server's change feed; without it (or when the server has none) watchers poll. */
  management?: ManagementEndpoint;
  pollIntervalMs: number;
  /** The change feed is up (after every (re)connection). */
  onFeedConnected?: () => void;
  onError?: (e: Error) => void;
}

interface Watcher {
  secretId: string;
  versionStage: string;
  onChange: (v: SecretValue) => unknown;
  lastVersionId?: string;
  /** The baseline is known (or the secret did not exist): a different version from now on is a change. */
  initialized: boolean;
  checking: boolean;
  again: boolean;
  refresh: boolean;
  closed: boolean;
  failures: number;
  retry?: NodeJS.Timeout;
}

/**
 * The change feed and the watchers of one client: every change event invalidates the cache
 * entries of its secret and re-reads the secrets watchers look at; `onChange` runs only when
 * the watched stage points at another VersionId than before. A `reset` (or a fresh, non-resumed
 * stream) counts as "everything changed". Without a feed, watchers re-read every `pollIntervalMs`
 * (the cache TTL then decides when a read goes upstream).
 */
export class WatchHub {
  private readonly watchers = new Set<Watcher>();
  private readonly feed: ChangeFeed | undefined;
  private feedState: "off" | "starting" | "up" | "down" | "unavailable";
  private feedWaiters: (() => void)[] = [];
  private poll: NodeJS.Timeout | undefined;
  private closed = false;

  constructor(private readonly o: WatchHubOptions) {
    this.feed = o.management ? new ChangeFeed({ management: o.management, onSignal: (s) => this.onSignal(s) }) : undefined;
    this.feedState = this.feed ? "starting" : "off";
  }

  /** Starts the feed (for cache invalidation) if there is one; idempotent. */
  start(): void {
    this.feed?.start();
  }

  /** Whether the cache can rely on invalidations now. */
  get feedConnected(): boolean {
    return this.feedState === "up";
  }

  watch(secretId: string, onChange: (v: SecretValue) => unknown, versionStage = "AWSCURRENT"): SecretWatch {
    const w: Watcher = { secretId, versionStage, onChange, initialized: false, checking: false, again: false, refresh: false, closed: false, failures: 0 };
    this.watchers.add(w);
    this.start();
    this.feed?.setKeepAlive(true);
    this.updatePolling();
    const ready = Promise.all([this.check(w), this.feedSettled()]).then(() => undefined);
    return {
      ready,
      close: () => {
        w.closed = true;
        clearTimeout(w.retry);
        this.watchers.delete(w);
        if (this.watchers.size === 0) this.feed?.setKeepAlive(false);
        this.updatePolling();
      },
    };
  }

  close(): void {
    this.closed = true;
    this.feed?.close();
    clearInterval(this.poll);
    for (const w of this.watchers) {
      w.closed = true;
      clearTimeout(w.retry);
    }
    this.watchers.clear();
    this.releaseFeedWaiters();
  }

  private feedSettled(): Promise<void> {
    if (this.feedState !== "starting") return Promise.resolve();
    return new Promise((r) => this.feedWaiters.push(r));
  }

  private releaseFeedWaiters(): void {
    const ws = this.feedWaiters;
    this.feedWaiters = [];
    for (const r of ws) r();
  }

  private onSignal(s: FeedSignal): void {
    if (this.closed) return;
    switch (s.kind) {
      case "connected":
        this.feedState = "up";
        // A stream that does not continue an earlier one says nothing about what changed before it.
        if (!s.resumed) this.everythingChanged();
        this.o.onFeedConnected?.();
        break;
      case "change":
        this.o.invalidate(s.change);
        for (const w of this.watchers) if (secretIdMatches(w.secretId, s.change, this.o.management?.region)) void this.check(w);
        break;
      case "reset":
        this.everythingChanged();
        break;
      case "disconnected":
        this.feedState = "down";
        this.o.onError?.(s.error);
        break;
      case "unavailable":
        this.feedState = "unavailable";
        break;
    }
    this.releaseFeedWaiters();
    this.updatePolling();
  }

  private everythingChanged(): void {
    this.o.invalidate(undefined);
    for (const w of this.watchers) void this.check(w);
  }

  /** Polling runs while there are watchers and no feed is up to tell us about changes (it may never come back). */
  private updatePolling(): void {
    const wanted = !this.closed && this.watchers.size > 0 && this.feedState !== "up" && this.feedState !== "starting";
    if (wanted && !this.poll) {
      this.poll = setInterval(() => {
        for (const w of this.watchers) void this.check(w, true);
      }, this.o.pollIntervalMs);
    } else if (!wanted && this.poll) {
      clearInterval(this.poll);
      this.poll = undefined;
    }
  }

  /** Re-reads a watched secret (one read per watcher at a time; a request meanwhile runs once more after). */
  private async check(w: Watcher, refresh = false): Promise<void> {
    w.refresh ||= refresh;
    if (w.checking) {
      w.again = true;
      return;
    }
    w.checking = true;
    try {
      do {
        w.again = false;
        const bypass = w.refresh;
        w.refresh = false;
        let v: SecretValue;
        try {
          v = await this.o.read(w.secretId, w.versionStage, bypass);
        } catch (e) {
          if (isSecretsError(e) && !e.retryable) {
            // The secret (or the stage) does not exist: its appearance will be a change.
            if (!w.initialized) w.initialized = true;
            w.failures = 0;
          } else this.retryLater(w, e);
          continue;
        }
        if (w.closed) return;
        if (v.stale) {
          this.retryLater(w, new Error(`watch ${w.secretId}: the upstream is unavailable`));
          continue;
        }
        w.failures = 0;
        if (v.VersionId === w.lastVersionId) continue;
        const notify = w.initialized;
        w.lastVersionId = v.VersionId;
        w.initialized = true;
        if (notify) {
          try {
            await w.onChange(v);
          } catch (e) {
            this.o.onError?.(e instanceof Error ? e : new Error(String(e)));
          }
        }
      } while (w.again && !w.closed);
    } finally {
      w.checking = false;
    }
  }

  private retryLater(w: Watcher, e: unknown): void {
    this.o.onError?.(e instanceof Error ? e : new Error(String(e)));
    if (w.closed || w.retry) return;
    const delay = Math.min(30_000, 1000 * 2 ** w.failures++);
    w.retry = setTimeout(() => {
      w.retry = undefined;
      void this.check(w);
    }, delay);
  }
}
