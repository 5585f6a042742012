/**
 * A private PostgreSQL server for tests that must see passwords change: the machine's shared
 * instance trusts every local login, this one asks for SCRAM passwords. Started with the
 * highest /usr/lib/postgresql/<version>/bin, on a free port, in a temporary directory, as the
 * `postgres` system user when the tests run as root (initdb refuses root). Optionally TLS only
 * (hostssl entries alone), with a self-signed certificate.
 */
import { spawnSync } from "node:child_process";
import { randomBytes, X509Certificate } from "node:crypto";
import { chmodSync, chownSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { TLSSocket } from "node:tls";
import pg from "pg";
import { runProcess } from "./harness.js";
import { selfSignedCert, type SelfSignedCert } from "./tls-cert.js";

// ---- helpers shared with private-mariadb.ts ----

/** A free TCP port on 127.0.0.1 (free when asked: callers retry if another process takes it first). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const addr = srv.address();
      srv.close(() => (typeof addr === "object" && addr ? resolve(addr.port) : reject(new Error("no port"))));
    });
  });
}

export interface ServiceAccount {
  name: string;
  uid: number;
  gid: number;
}

/**
 * The system account a database server runs as when the tests run as root (initdb and mariadbd
 * refuse to run as root); undefined when not root (the server then runs as the current user).
 */
export function serviceAccount(name: string): ServiceAccount | undefined {
  if (process.getuid?.() !== 0) return undefined;
  const uid = spawnSync("id", ["-u", name], { encoding: "utf8" });
  const gid = spawnSync("id", ["-g", name], { encoding: "utf8" });
  if (uid.status !== 0 || gid.status !== 0) throw new Error(`running as root, and there is no "${name}" system user to run the database server as`);
  return { name, uid: Number(uid.stdout.trim()), gid: Number(gid.stdout.trim()) };
}

/** A new 0700 temporary directory owned by `owner` (or by us). */
export function ownedTempDir(prefix: string, owner: ServiceAccount | undefined): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  chmodSync(dir, 0o700);
  if (owner) chownSync(dir, owner.uid, owner.gid);
  return dir;
}

/** Writes a file readable only by `owner` (or by us). */
export function writeOwnedFile(path: string, content: string, owner: ServiceAccount | undefined): void {
  writeFileSync(path, content, { mode: 0o600 });
  chmodSync(path, 0o600);
  if (owner) chownSync(path, owner.uid, owner.gid);
}

/** `cmd args` as `owner` when given (through runuser), else as ourselves. */
export function asUser(owner: ServiceAccount | undefined, cmd: string, args: string[]): [string, string[]] {
  return owner ? ["runuser", ["-u", owner.name, "--", cmd, ...args]] : [cmd, args];
}

/**
 * Kill-on-exit hooks: a test process that exits or is signalled (the test runner cancels a file
 * with SIGTERM) without running its `after` still stops its servers. SIGKILL cannot be caught.
 */
const exitHooks = new Set<() => void>();
let exitHookInstalled = false;
function runExitHooks(): void {
  for (const h of [...exitHooks]) {
    exitHooks.delete(h);
    try {
      h();
    } catch {
      /* best effort */
    }
  }
}
export function onProcessExit(hook: () => void): () => void {
  if (!exitHookInstalled) {
    exitHookInstalled = true;
    process.on("exit", runExitHooks);
    for (const sig of ["SIGINT", "SIGTERM", "SIGHUP"] as const) {
      const handler = (): void => {
        runExitHooks();
        // Alone on the signal: die of it as if we had not been listening.
        if (process.listenerCount(sig) === 1) {
          process.removeListener(sig, handler);
          process.kill(process.pid, sig);
        }
      };
      process.on(sig, handler);
    }
  }
  exitHooks.add(hook);
  return () => {
    exitHooks.delete(hook);
  };
}

/** Quotes for /bin/sh (pg_ctl -o goes through a shell). */
function shq(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

// ---- PostgreSQL ----

/** The bin directory of the highest installed PostgreSQL version that has initdb, pg_ctl and postgres. */
export function postgresBinDir(): string | undefined {
  let versions: string[];
  try {
    versions = readdirSync("/usr/lib/postgresql");
  } catch {
    return undefined;
  }
  const sorted = versions.filter((v) => /^\d+(\.\d+)?$/.test(v)).sort((a, b) => Number(b) - Number(a));
  for (const v of sorted) {
    const bin = join("/usr/lib/postgresql", v, "bin");
    if (["initdb", "pg_ctl", "postgres"].every((b) => existsSync(join(bin, b)))) return bin;
  }
  return undefined;
}

/** True when a private PostgreSQL can be started here (server binaries, and a postgres user when root). */
export function canStartPrivatePostgres(o: { ssl?: boolean } = {}): boolean {
  if (postgresBinDir() === undefined) return false;
  if (process.getuid?.() === 0 && spawnSync("id", ["-u", "postgres"], { stdio: "ignore" }).status !== 0) return false;
  if (o.ssl && spawnSync("openssl", ["version"], { stdio: "ignore" }).status !== 0) return false;
  return true;
}

export interface PrivatePostgres {
  host: string;
  port: number;
  superuser: string;
  superPassword: string;
  dataDir: string;
  /** The server's log (statements too, with settings such as log_statement=ddl). */
  logFile: string;
  /** With `ssl`: the server's certificate (self-signed, so also the CA to trust). */
  certificate?: SelfSignedCert;
  /** Stops the server (immediate mode) and removes its directories. Idempotent. */
  stop(): Promise<void>;
  /** A connected client as `user` (TLS without verification on a TLS server). The caller ends it. */
  connect(user: string, password: string, database?: string): Promise<pg.Client>;
  /** Runs one statement as the superuser, on `database` (default postgres). */
  query<R extends pg.QueryResultRow = pg.QueryResultRow>(sql: string, params?: unknown[], database?: string): Promise<R[]>;
  createDatabase(name: string): Promise<void>;
  /** CREATE ROLE name WITH LOGIN PASSWORD ... [extra attributes, e.g. "CREATEROLE"]. */
  createRole(name: string, password: string, attributes?: string): Promise<void>;
  /** Whether `user` / `password` logs in (false when authentication is refused; throws for other failures). */
  canLogin(user: string, password: string, database?: string): Promise<boolean>;
  /** The stored SCRAM verifier of a role (changes whenever its password is set, even to the same one). */
  storedPassword(role: string): Promise<string | null>;
  /** Replaces the TLS certificate and reloads the configuration (TLS servers only). */
  replaceCertificate(cert: SelfSignedCert): Promise<void>;
}

const AUTH_FAILED = new Set(["28P01", "28000"]);

/**
 * Starts a private server. `ssl`: TLS only, with a self-signed certificate. `settings`: extra
 * `name=value` server settings (e.g. "log_statement=ddl").
 */
export async function startPrivatePostgres(o: { ssl?: boolean; settings?: string[] } = {}): Promise<PrivatePostgres> {
  const bin = postgresBinDir();
  if (!bin) throw new Error("no PostgreSQL server binaries under /usr/lib/postgresql/*/bin");
  const owner = serviceAccount("postgres");
  const base = ownedTempDir("keyshift-pg-", owner);
  const dataDir = join(base, "data");
  const sockDir = join(base, "sock");
  const logFile = join(base, "server.log");
  const superPassword = randomBytes(18).toString("base64url");
  const env = { ...process.env, LC_ALL: "C", LANG: "C" };
  let started = false;
  let removeExitHook: () => void = () => {};

  const stopSync = (): void => {
    if (started) {
      const [cmd, args] = asUser(owner, join(bin, "pg_ctl"), ["-D", dataDir, "stop", "-m", "immediate", "-w", "-t", "30"]);
      spawnSync(cmd, args, { stdio: "ignore", env });
      started = false;
    }
    rmSync(base, { recursive: true, force: true });
  };
  const stop = async (): Promise<void> => {
    if (started) {
      const [cmd, args] = asUser(owner, join(bin, "pg_ctl"), ["-D", dataDir, "stop", "-m", "immediate", "-w", "-t", "30"]);
      await runProcess(cmd, args, env, 60_000);
      started = false;
    }
    rmSync(base, { recursive: true, force: true });
    removeExitHook();
  };
  removeExitHook = onProcessExit(stopSync);

  try {
    mkdirSync(sockDir, { mode: 0o700 });
    if (owner) chownSync(sockDir, owner.uid, owner.gid);
    const pwFile = join(base, "pwfile");
    writeOwnedFile(pwFile, superPassword + "\n", owner);
    const [initCmd, initArgs] = asUser(owner, join(bin, "initdb"), [
      "-D", dataDir, "-A", "scram-sha-256", "-U", "postgres", `--pwfile=${pwFile}`, "-E", "UTF8", "--locale=C", "--no-sync", "--no-instructions",
    ]);
    const init = await runProcess(initCmd, initArgs, env, 120_000);
    rmSync(pwFile, { force: true });
    if (init.code !== 0) throw new Error(`initdb failed (exit ${init.code}):\n${init.stdout}\n${init.stderr}`);

    let certificate: SelfSignedCert | undefined;
    const certFile = join(base, "server.crt");
    const keyFile = join(base, "server.key");
    const settings = [
      "fsync=off", "full_page_writes=off", "synchronous_commit=off", "shared_buffers=16MB", "max_connections=40", "listen_addresses=127.0.0.1", ...(o.settings ?? []),
    ];
    if (o.ssl) {
      certificate = selfSignedCert(["localhost", "127.0.0.1"]);
      writeOwnedFile(certFile, certificate.certPem, owner);
      writeOwnedFile(keyFile, certificate.keyPem, owner);
      settings.push("ssl=on", `ssl_cert_file=${certFile}`, `ssl_key_file=${keyFile}`);
      // TLS only: plain TCP connections find no pg_hba entry.
      writeOwnedFile(join(dataDir, "pg_hba.conf"), "local all all scram-sha-256\nhostssl all all 127.0.0.1/32 scram-sha-256\n", owner);
    }

    let port = 0;
    for (let attempt = 1; ; attempt++) {
      port = await freePort();
      const opts = [`-p ${port}`, `-k ${shq(sockDir)}`, ...settings.map((s) => `-c ${shq(s)}`)].join(" ");
      const [cmd, args] = asUser(owner, join(bin, "pg_ctl"), ["-D", dataDir, "-l", logFile, "-o", opts, "-w", "-t", "60", "start"]);
      started = true; // a failed start may still have left a postmaster: stop tries anyway
      const r = await runProcess(cmd, args, env, 90_000);
      if (r.code === 0) break;
      const log = existsSync(logFile) ? readFileSync(logFile, "utf8") : "";
      const stopArgs = asUser(owner, join(bin, "pg_ctl"), ["-D", dataDir, "stop", "-m", "immediate", "-w", "-t", "30"]);
      await runProcess(stopArgs[0], stopArgs[1], env, 60_000);
      started = false;
      if (attempt < 3 && /could not bind|already in use/i.test(log)) continue;
      throw new Error(`pg_ctl start failed (exit ${r.code}):\n${r.stdout}\n${r.stderr}\n${log}`);
    }

    const host = "127.0.0.1";
    const ssl = o.ssl ? { rejectUnauthorized: false } : false;
    const connect = async (user: string, password: string, database = "postgres"): Promise<pg.Client> => {
      const c = new pg.Client({ host, port, user, password, database, ssl, connectionTimeoutMillis: 10_000 });
      c.on("error", () => {});
      await c.connect();
      return c;
    };
    const query = async <R extends pg.QueryResultRow>(sql: string, params: unknown[] = [], database = "postgres"): Promise<R[]> => {
      const c = await connect("postgres", superPassword, database);
      try {
        return (await c.query<R>(sql, params)).rows;
      } finally {
        await c.end();
      }
    };
    return {
      host, port, superuser: "postgres", superPassword, dataDir, logFile,
      ...(certificate ? { certificate } : {}),
      stop,
      connect,
      query,
      createDatabase: async (name) => {
        await query(`CREATE DATABASE ${pg.escapeIdentifier(name)}`);
      },
      createRole: async (name, password, attributes = "") => {
        await query(`CREATE ROLE ${pg.escapeIdentifier(name)} WITH LOGIN PASSWORD ${pg.escapeLiteral(password)} ${attributes}`);
      },
      canLogin: async (user, password, database = "postgres") => {
        let c: pg.Client;
        try {
          c = await connect(user, password, database);
        } catch (e) {
          if (AUTH_FAILED.has((e as { code?: string }).code ?? "")) return false;
          throw e;
        }
        await c.end();
        return true;
      },
      storedPassword: async (role) => {
        const rows = await query<{ rolpassword: string | null }>("SELECT rolpassword FROM pg_authid WHERE rolname = $1", [role]);
        return rows[0]?.rolpassword ?? null;
      },
      replaceCertificate: async (cert) => {
        if (!o.ssl) throw new Error("not a TLS server");
        writeOwnedFile(certFile, cert.certPem, owner);
        writeOwnedFile(keyFile, cert.keyPem, owner);
        await query("SELECT pg_reload_conf()");
        // The reload is a signal: wait until new connections present the new certificate.
        const want = new X509Certificate(cert.certPem).fingerprint256;
        for (let i = 0; i < 100; i++) {
          const c = await connect("postgres", superPassword);
          const got = ((c as unknown as { connection: { stream: TLSSocket } }).connection.stream.getPeerCertificate()).fingerprint256;
          await c.end();
          if (got === want) return;
          await new Promise((r) => setTimeout(r, 50));
        }
        throw new Error("the server did not pick up the new certificate");
      },
    };
  } catch (e) {
    await stop().catch(() => {});
    throw e;
  }
}
