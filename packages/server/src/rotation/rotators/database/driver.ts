/**
 * What the database rotators need from an engine (PostgreSQL, MySQL/MariaDB): log in with a
 * credential, tell a refused login from an unreachable server, and change passwords. The steps
 * themselves (flows.ts) are the same for every engine.
 */
import { RotationError } from "../../rotator.js";
import type { SslMode } from "./tls.js";

/** Engine facts the secret parsing and the steps need. */
export interface EngineSpec {
  /** How messages name the engine: "postgres", "mysql". */
  readonly label: string;
  /** Accepted values of the secret's `engine` field (absent is accepted too). */
  readonly engines: readonly string[];
  readonly defaultPort: number;
  /** Database to log in to when the secret has no `dbname` (undefined: none). */
  readonly defaultDbname: string | undefined;
  /** Longest user name the engine accepts (for the `_clone` login of alternating users). */
  maxUsernameLength(engine: string | undefined): number;
}

/** One login attempt's target: the credential, where, and how to secure the connection. */
export interface DbLogin {
  host: string;
  port: number;
  username: string;
  password: string;
  dbname: string | undefined;
  ssl: SslMode;
  /** PEM CA bundle to verify the server with (verify-full); the system CAs when undefined. */
  ca: string | undefined;
}

export type LoginResult =
  | { ok: true; session: DbSession }
  /**
   * The server refused the credential. `reason` is the server's message (never a password).
   * `plainMightWork`: refused in a way that is about the transport (a pg_hba entry for
   * non-TLS connections only), so `prefer` tries again without TLS.
   */
  | { ok: false; reason: string; plainMightWork?: boolean };

/** A logged-in connection. Every call honours the login's AbortSignal. */
export interface DbSession {
  /** The trivial query testSecret runs (SELECT NOW()). */
  ping(): Promise<void>;
  /** Sets the password of the logged-in user (`username`) itself. */
  setOwnPassword(username: string, password: string): Promise<void>;
  /**
   * As an administrator: makes `login` accept `password`, creating it first, with the grants
   * of `model`, when it does not exist. Alternating users.
   */
  upsertAlternateUser(model: string, login: string, password: string): Promise<void>;
  close(): Promise<void>;
}

export interface DbDriver extends EngineSpec {
  /**
   * Logs in. Resolves `{ ok: false }` when the server refuses the credential; throws DbError when
   * it cannot be reached or spoken to (network, TLS, unknown database), Cancelled on abort.
   */
  login(target: DbLogin, signal: AbortSignal): Promise<LoginResult>;
}

/** A failure of the database or of the way to reach it; the message is safe (no password). */
export class DbError extends RotationError {
  /** The server could not be reached at all (refused, timed out): trying again without TLS is pointless. */
  readonly network: boolean;
  constructor(message: string, o: { network?: boolean } = {}) {
    super(message);
    this.name = "DbError";
    this.network = o.network ?? false;
  }
}

const NETWORK_CODES = new Set(["ECONNREFUSED", "ETIMEDOUT", "ENOTFOUND", "EAI_AGAIN", "EHOSTUNREACH", "ENETUNREACH"]);

/** Whether a connection error is about reaching the server at all (not TLS, not the protocol). */
export function isNetworkError(e: unknown): boolean {
  const code = (e as { code?: unknown }).code;
  if (typeof code === "string" && NETWORK_CODES.has(code)) return true;
  const msg = (e as { message?: unknown }).message;
  return typeof msg === "string" && /timeout|timed out/i.test(msg);
}

/** The step's AbortSignal fired: connections were closed. */
export class Cancelled extends Error {
  constructor(reason: unknown) {
    super(`cancelled${reason instanceof Error && reason.message ? ` (${reason.message})` : typeof reason === "string" ? ` (${reason})` : ""}`);
    this.name = "Cancelled";
  }
}

export function throwIfAborted(signal: AbortSignal): void {
  if (signal.aborted) throw new Cancelled(signal.reason);
}

/**
 * `p`, or a Cancelled rejection as soon as `signal` aborts, after calling `onAbort` (which
 * closes the connection `p` runs on).
 */
export function abortable<T>(signal: AbortSignal, p: Promise<T>, onAbort: () => void): Promise<T> {
  if (signal.aborted) {
    onAbort();
    p.catch(() => {});
    return Promise.reject(new Cancelled(signal.reason));
  }
  return new Promise<T>((resolve, reject) => {
    const abort = (): void => {
      onAbort();
      reject(new Cancelled(signal.reason));
    };
    signal.addEventListener("abort", abort, { once: true });
    p.then(
      (v) => {
        signal.removeEventListener("abort", abort);
        resolve(v);
      },
      (e: unknown) => {
        signal.removeEventListener("abort", abort);
        reject(e);
      },
    );
  });
}

/**
 * A driver error's message, fit for a RotationError: every occurrence of `secrets` (and of
 * their SQL-escaped forms) replaced, the SQLSTATE / error code appended, at most 400 characters.
 * Driver messages can quote the statement ("near '...' at line 1").
 */
export function safeMessage(e: unknown, secrets: readonly string[] = []): string {
  const err = e as { message?: unknown; code?: unknown; errno?: unknown };
  let msg = typeof err?.message === "string" && err.message ? err.message : String(e);
  const forms = new Set<string>();
  for (const s of secrets) {
    if (s.length < 3) continue;
    forms.add(s);
    forms.add(s.replace(/'/g, "''"));
    forms.add(s.replace(/\\/g, "\\\\").replace(/'/g, "\\'"));
    forms.add(s.replace(/\\/g, "\\\\").replace(/'/g, "''"));
  }
  for (const f of [...forms].sort((a, b) => b.length - a.length)) msg = msg.split(f).join("[REDACTED]");
  if (msg.length > 400) msg = msg.slice(0, 400) + "…";
  const code = typeof err?.code === "string" ? err.code : undefined;
  return code && !msg.includes(code) ? `${msg} (${code})` : msg;
}
