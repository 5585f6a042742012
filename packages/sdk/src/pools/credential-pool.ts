import { isAuthError, rotationCandidates, type SecretSource, type SecretVersion } from "../rotation-aware.js";
import { parseDbCredential, sameLogin, type DbCredential } from "./db-credential.js";

/**
 * The subset of a driver's pool a rotating pool needs (kysely-style port): the pg and mysql2
 * adapters implement it in a few lines each.
 */
export interface PoolDriver<Inner> {
  defaultPort: number;
  /** A new pool logging in with `cred`; opens no connection yet. */
  create(cred: DbCredential): Inner;
  /** Opens one connection and returns it to the pool; rejects with the driver's error when the login is refused. */
  probe(inner: Inner): Promise<void>;
  /** Closes every connection of a pool that nothing uses any more. */
  end(inner: Inner): Promise<void>;
}

/** Why the pool moved to another credential. */
export type CredentialChangeReason = "auth-failure" | "watch";

/** Options every rotating pool takes, besides the driver's own pool options. */
export interface RotatingPoolOptions {
  /** Whether an error means "the database refused the login" (default: `isAuthError`). */
  isAuthError?: (e: unknown) => boolean;
  /** Errors nobody awaits: an idle connection that broke, a retired pool that failed to close, a bad watch value. */
  onError?: (e: unknown) => void;
  /** Called after the pool moved to another credential (never with the credential itself). */
  onCredentialChange?: (change: { versionId: string; username: string; reason: CredentialChangeReason }) => void;
  /** Follow `source.watch` when the source offers it (default true): the pool moves on finishSecret without waiting for a refused login. */
  watch?: boolean;
  /** Rounds of "read AWSPENDING and AWSCURRENT again, try each" after a refused login before giving up (default 3). */
  recoveryRounds?: number;
}

interface Generation<Inner> {
  inner: Inner;
  cred: DbCredential;
  /** Operations running on this pool and connections checked out of it. */
  users: number;
  retired: boolean;
  ended?: Promise<void>;
}

/** Names of the keys of RotatingPoolOptions, removed before the rest goes to the driver. */
export const ROTATING_POOL_KEYS = ["isAuthError", "onError", "onCredentialChange", "watch", "recoveryRounds", "driver"] as const;

export class PoolEndedError extends Error {
  constructor() {
    super("the rotating pool has been ended");
    this.name = "PoolEndedError";
  }
}

/**
 * One database pool per credential, behind a stable handle. Operations run on the pool of the
 * credential in use; when one fails because the login was refused, the credential is recovered
 * (AWSPENDING, then AWSCURRENT, both read again and tried with one real connection, up to
 * `recoveryRounds` times) and the operation runs again on the new pool. A refused login happens
 * before any statement is sent, so the retry cannot run a statement twice. The previous pool is
 * retired: it takes no new work and is ended once its running operations and checked-out
 * connections are done (in-flight queries finish; idle connections close). Concurrent failures
 * share one recovery.
 */
export class CredentialPool<Inner> {
  private gen: Generation<Inner>;
  private recovering: Promise<void> | undefined;
  private readonly endings = new Set<Promise<void>>();
  private readonly authError: (e: unknown) => boolean;
  private watchHandle: { close(): void } | void = undefined;
  private closed = false;
  /** How many times the pool moved to another credential. */
  credentialChanges = 0;

  private constructor(
    private readonly source: SecretSource,
    private readonly secretId: string,
    private readonly driver: PoolDriver<Inner>,
    private readonly o: RotatingPoolOptions,
    first: DbCredential,
  ) {
    this.authError = o.isAuthError ?? isAuthError;
    this.gen = { inner: driver.create(first), cred: first, users: 0, retired: false };
    if (o.watch !== false && typeof source.watch === "function") {
      this.watchHandle = source.watch(secretId, (v) => this.onWatch(v), "AWSCURRENT");
    }
  }

  /** Reads AWSCURRENT (through the source's cache) and creates the first pool; connects lazily. */
  static async open<Inner>(source: SecretSource, secretId: string, driver: PoolDriver<Inner>, o: RotatingPoolOptions): Promise<CredentialPool<Inner>> {
    const v = await source.getSecretValue(secretId);
    return new CredentialPool(source, secretId, driver, o, parseDbCredential(v, driver.defaultPort));
  }

  /** The pool new work goes to. */
  get current(): Inner {
    return this.gen.inner;
  }

  /** The version and user in use (no password). */
  get credential(): { versionId: string; username: string } {
    return { versionId: this.gen.cred.versionId, username: this.gen.cred.username };
  }

  /** Runs `op` on the current pool; a refused login recovers the credential and runs `op` again. */
  async use<R>(op: (inner: Inner) => Promise<R>): Promise<R> {
    for (let round = 0; ; round++) {
      const g = this.enter();
      let failure: unknown;
      try {
        return await op(g.inner);
      } catch (e) {
        failure = e;
      } finally {
        this.leave(g);
      }
      if (!this.authError(failure) || round >= this.rounds()) throw failure;
      await this.recover(g, failure);
    }
  }

  /**
   * Like `use` for an operation that checks a connection out (`acquire`): the pool stays alive
   * until `track(conn, done)` has called `done` (the connection's release).
   */
  async checkout<C>(acquire: (inner: Inner) => Promise<C>, track: (conn: C, done: () => void) => void): Promise<C> {
    for (let round = 0; ; round++) {
      const g = this.enter();
      let conn: C;
      try {
        conn = await acquire(g.inner);
      } catch (e) {
        this.leave(g);
        if (!this.authError(e) || round >= this.rounds()) throw e;
        await this.recover(g, e);
        continue;
      }
      let released = false;
      track(conn, () => {
        if (released) return;
        released = true;
        this.leave(g);
      });
      return conn;
    }
  }

  /** Stops following the secret, retires the pool and waits until every pool has ended. */
  async end(): Promise<void> {
    if (!this.closed) {
      this.closed = true;
      try {
        this.watchHandle?.close();
      } catch (e) {
        this.o.onError?.(e);
      }
      await this.recovering?.catch(() => {});
      this.retire(this.gen);
    }
    while (this.endings.size > 0) await Promise.all([...this.endings]);
  }

  private rounds(): number {
    return Math.max(1, this.o.recoveryRounds ?? 3);
  }

  private enter(): Generation<Inner> {
    if (this.closed) throw new PoolEndedError();
    this.gen.users++;
    return this.gen;
  }

  private leave(g: Generation<Inner>): void {
    g.users--;
    if (g.retired && g.users === 0) this.endGeneration(g);
  }

  private retire(g: Generation<Inner>): void {
    g.retired = true;
    if (g.users === 0) this.endGeneration(g);
  }

  private endGeneration(g: Generation<Inner>): void {
    if (g.ended) return;
    const p: Promise<void> = this.driver
      .end(g.inner)
      .catch((e) => this.o.onError?.(e))
      .finally(() => this.endings.delete(p));
    g.ended = p;
    this.endings.add(p);
  }

  private swap(cred: DbCredential, inner: Inner, reason: CredentialChangeReason): void {
    const old = this.gen;
    this.gen = { inner, cred, users: 0, retired: false };
    this.credentialChanges++;
    this.retire(old);
    this.o.onCredentialChange?.({ versionId: cred.versionId, username: cred.username, reason });
  }

  /** After `failed`'s login was refused: one recovery at a time; nothing to do when another already moved on. */
  private async recover(failed: Generation<Inner>, cause: unknown): Promise<void> {
    if (this.gen !== failed || this.closed) return;
    this.recovering ??= this.findWorkingCredential(cause).finally(() => {
      this.recovering = undefined;
    });
    await this.recovering;
  }

  private async findWorkingCredential(cause: unknown): Promise<void> {
    for (let round = 0; round < this.rounds(); round++) {
      // A rotation's next step may be a few milliseconds away (setSecret of a rotation that just started).
      if (round > 0) await new Promise((r) => setTimeout(r, 100 * round));
      for (const { version } of await rotationCandidates(this.source, this.secretId)) {
        const cred = parseDbCredential(version, this.driver.defaultPort);
        const inner = this.driver.create(cred);
        try {
          await this.driver.probe(inner);
        } catch (e) {
          await this.driver.end(inner).catch((x) => this.o.onError?.(x));
          if (this.authError(e)) continue;
          throw e;
        }
        if (this.closed || sameLogin(cred, this.gen.cred)) {
          // The login in use works again (a cancelled rotation restored it): keep its pool.
          await this.driver.end(inner).catch((x) => this.o.onError?.(x));
          return;
        }
        this.swap(cred, inner, "auth-failure");
        return;
      }
    }
    throw cause;
  }

  private onWatch(v: SecretVersion): void {
    if (this.closed) return;
    let cred: DbCredential;
    try {
      cred = parseDbCredential(v, this.driver.defaultPort);
    } catch (e) {
      this.o.onError?.(e);
      return;
    }
    if (sameLogin(cred, this.gen.cred)) return;
    this.swap(cred, this.driver.create(cred), "watch");
  }
}
