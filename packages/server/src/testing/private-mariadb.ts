/**
 * A private MariaDB server for tests that must see passwords change (the machine's shared
 * instance lets root in without a password). Initialised with mariadb-install-db in a temporary
 * directory and run as a child `mariadbd` on a free port (as the `mysql` system user when the
 * tests run as root: mariadbd's --user drops privileges itself). Optionally TLS with a self-signed
 * certificate and require_secure_transport, so plain TCP logins are refused.
 */
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { chownSync, existsSync, mkdirSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import mysql from "mysql2/promise";
import { runProcess } from "./harness.js";
import { freePort, onProcessExit, ownedTempDir, serviceAccount, writeOwnedFile } from "./private-postgres.js";
import { selfSignedCert, type SelfSignedCert } from "./tls-cert.js";

function findCommand(names: string[]): string | undefined {
  for (const name of names) {
    for (const dir of ["/usr/sbin", "/usr/bin", "/usr/local/sbin", "/usr/local/bin"]) if (existsSync(join(dir, name))) return join(dir, name);
    const r = spawnSync("sh", ["-c", `command -v ${name}`], { encoding: "utf8" });
    if (r.status === 0 && r.stdout.trim()) return r.stdout.trim();
  }
  return undefined;
}

/** The server and the data-directory initialiser, when MariaDB is installed. */
export function mariadbBinaries(): { mariadbd: string; installDb: string } | undefined {
  const mariadbd = findCommand(["mariadbd"]);
  const installDb = findCommand(["mariadb-install-db"]);
  return mariadbd && installDb ? { mariadbd, installDb } : undefined;
}

/** True when a private MariaDB can be started here (binaries, and a mysql user when root). */
export function canStartPrivateMariadb(o: { ssl?: boolean } = {}): boolean {
  if (!mariadbBinaries()) return false;
  if (process.getuid?.() === 0 && spawnSync("id", ["-u", "mysql"], { stdio: "ignore" }).status !== 0) return false;
  if (o.ssl && spawnSync("openssl", ["version"], { stdio: "ignore" }).status !== 0) return false;
  return true;
}

export interface PrivateMariadb {
  host: string;
  port: number;
  rootUser: "root";
  rootPassword: string;
  dataDir: string;
  /** With `ssl`: the server's certificate (self-signed, so also the CA to trust). */
  certificate?: SelfSignedCert;
  /** Kills the server and removes its directories. Idempotent. */
  stop(): Promise<void>;
  /** A connection as `user` (TLS without verification on a TLS server). The caller ends it. */
  connect(user: string, password: string, database?: string): Promise<mysql.Connection>;
  /** Runs one statement as root (client-side placeholders). */
  query<R = mysql.RowDataPacket>(sql: string, params?: unknown[], database?: string): Promise<R[]>;
  createDatabase(name: string): Promise<void>;
  /** CREATE USER name@host IDENTIFIED BY password (host defaults to '%'). */
  createUser(name: string, password: string, host?: string): Promise<void>;
  /** Whether `user` / `password` logs in (false when access is denied; throws for other failures). */
  canLogin(user: string, password: string, database?: string): Promise<boolean>;
  /** When the account's password was last set (epoch seconds, from mysql.global_priv). */
  passwordLastChanged(user: string, host?: string): Promise<number | null>;
  /** Replaces the TLS certificate and reloads it (FLUSH SSL; TLS servers only). */
  replaceCertificate(cert: SelfSignedCert): Promise<void>;
}

const ACCESS_DENIED = new Set([1044, 1045, 1698]);

class PortTaken extends Error {}

export async function startPrivateMariadb(o: { ssl?: boolean } = {}): Promise<PrivateMariadb> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await startOnce(o);
    } catch (e) {
      if (!(e instanceof PortTaken) || attempt >= 3) throw e;
    }
  }
}

async function startOnce(o: { ssl?: boolean }): Promise<PrivateMariadb> {
  const bins = mariadbBinaries();
  if (!bins) throw new Error("mariadbd / mariadb-install-db not installed");
  const owner = serviceAccount("mysql");
  const base = ownedTempDir("keyshift-mariadb-", owner);
  const dataDir = join(base, "data");
  const runDir = join(base, "run");
  const socket = join(runDir, "mariadb.sock");
  const errLog = join(base, "error.log");
  const rootPassword = randomBytes(18).toString("base64url");
  const host = "127.0.0.1";
  let child: ChildProcess | undefined;
  let exited: Promise<void> = Promise.resolve();
  let removeExitHook: () => void = () => {};

  const stop = async (): Promise<void> => {
    if (child && child.exitCode === null && child.signalCode === null) {
      child.kill("SIGKILL");
      await exited;
    }
    child = undefined;
    rmSync(base, { recursive: true, force: true });
    removeExitHook();
  };
  removeExitHook = onProcessExit(() => {
    if (child?.pid !== undefined && child.exitCode === null) {
      try {
        process.kill(child.pid, "SIGKILL");
      } catch {
        /* gone */
      }
    }
    rmSync(base, { recursive: true, force: true });
  });
  const log = (): string => (existsSync(errLog) ? readFileSync(errLog, "utf8").split("\n").slice(-30).join("\n") : "");
  const serverOptions = ["--innodb-buffer-pool-size=16M", "--innodb-log-file-size=8M", "--innodb-flush-log-at-trx-commit=0", "--skip-name-resolve", "--innodb-use-native-aio=0"];

  try {
    mkdirSync(runDir, { mode: 0o700 });
    if (owner) chownSync(runDir, owner.uid, owner.gid);
    const install = await runProcess(
      bins.installDb,
      [
        "--no-defaults", `--datadir=${dataDir}`, "--auth-root-authentication-method=normal", "--skip-test-db", ...(owner ? [`--user=${owner.name}`] : []),
        ...serverOptions,
      ],
      process.env,
      120_000,
    );
    if (install.code !== 0) throw new Error(`mariadb-install-db failed (exit ${install.code}):\n${install.stdout}\n${install.stderr}`);

    let certificate: SelfSignedCert | undefined;
    const certFile = join(base, "server-cert.pem");
    const keyFile = join(base, "server-key.pem");
    const tlsOptions: string[] = [];
    if (o.ssl) {
      certificate = selfSignedCert(["localhost", "127.0.0.1"]);
      writeOwnedFile(certFile, certificate.certPem, owner);
      writeOwnedFile(keyFile, certificate.keyPem, owner);
      tlsOptions.push(`--ssl-cert=${certFile}`, `--ssl-key=${keyFile}`, "--require-secure-transport=ON");
    }

    const port = await freePort();
    const proc = spawn(
      bins.mariadbd,
      [
        "--no-defaults", `--datadir=${dataDir}`, `--port=${port}`, `--socket=${socket}`, "--bind-address=127.0.0.1", `--pid-file=${join(runDir, "mariadb.pid")}`,
        `--log-error=${errLog}`, `--tmpdir=${runDir}`, ...(owner ? [`--user=${owner.name}`] : []), ...serverOptions, ...tlsOptions,
      ],
      { stdio: "ignore" },
    );
    child = proc;
    exited = new Promise((resolve) => proc.once("exit", () => resolve()));
    // Ready when root logs in over TCP (no password yet: --auth-root-authentication-method=normal).
    const deadline = Date.now() + 60_000;
    let admin: mysql.Connection | undefined;
    while (!admin && Date.now() < deadline && proc.exitCode === null && proc.signalCode === null) {
      try {
        admin = await mysql.createConnection({ host, port, user: "root", password: "", connectTimeout: 2000, ...(o.ssl ? { ssl: { rejectUnauthorized: false } } : {}) });
      } catch {
        await new Promise((r) => setTimeout(r, 100));
      }
    }
    if (!admin) {
      const text = log();
      if (/Address already in use|Can't start server: Bind/i.test(text)) throw new PortTaken();
      throw new Error(`mariadbd did not start (exit ${proc.exitCode ?? proc.signalCode ?? "still running"}):\n${text}`);
    }
    try {
      // The local root accounts get the password (root@<host name> is ignored under --skip-name-resolve).
      for (const rootHost of ["localhost", "127.0.0.1", "::1"]) {
        await admin.query("ALTER USER IF EXISTS 'root'@? IDENTIFIED BY ?", [rootHost, rootPassword]);
      }
    } finally {
      await admin.end();
    }

    const ssl = o.ssl ? { rejectUnauthorized: false } : undefined;
    const connect = (user: string, password: string, database?: string): Promise<mysql.Connection> =>
      mysql.createConnection({ host, port, user, password, connectTimeout: 10_000, ...(database ? { database } : {}), ...(ssl ? { ssl } : {}) });
    const query = async <R>(sql: string, params: unknown[] = [], database?: string): Promise<R[]> => {
      const c = await connect("root", rootPassword, database);
      try {
        const [rows] = await c.query(sql, params);
        return rows as R[];
      } finally {
        await c.end();
      }
    };
    return {
      host, port, rootUser: "root", rootPassword, dataDir,
      ...(certificate ? { certificate } : {}),
      stop,
      connect,
      query,
      createDatabase: async (name) => {
        await query(`CREATE DATABASE ${mysql.escapeId(name)}`);
      },
      createUser: async (name, password, userHost = "%") => {
        await query("CREATE USER ?@? IDENTIFIED BY ?", [name, userHost, password]);
      },
      canLogin: async (user, password, database) => {
        let c: mysql.Connection;
        try {
          c = await connect(user, password, database);
        } catch (e) {
          if (ACCESS_DENIED.has((e as { errno?: number }).errno ?? 0)) return false;
          throw e;
        }
        await c.end();
        return true;
      },
      passwordLastChanged: async (user, userHost = "%") => {
        const rows = await query<{ t: string | null }>(
          "SELECT JSON_VALUE(Priv, '$.password_last_changed') AS t FROM mysql.global_priv WHERE User = ? AND Host = ?",
          [user, userHost],
        );
        const t = rows[0]?.t;
        return t === undefined || t === null ? null : Number(t);
      },
      replaceCertificate: async (cert) => {
        if (!o.ssl) throw new Error("not a TLS server");
        writeOwnedFile(certFile, cert.certPem, owner);
        writeOwnedFile(keyFile, cert.keyPem, owner);
        await query("FLUSH SSL");
      },
    };
  } catch (e) {
    await stop().catch(() => {});
    throw e;
  }
}
