/** MySQL and MariaDB for the database rotators, with `mysql2`. */
import { randomBytes } from "node:crypto";
import { isIP } from "node:net";
import { checkServerIdentity, type PeerCertificate, type TLSSocket } from "node:tls";
import mysqlCore from "mysql2";
import type mysql from "mysql2/promise";
import { abortable, Cancelled, DbError, isNetworkError, safeMessage, type DbDriver, type DbLogin, type DbSession, type LoginResult } from "../database/driver.js";
import { describeTls, withTlsMode } from "../database/tls.js";
import { cloneGrantStatements, GrantCopyError, requireClause } from "./grants.js";

const CONNECT_TIMEOUT_MS = 5_000;
const QUERY_TIMEOUT_MS = 30_000;
/**
 * Access denied (1045), to the database (1044), without password (1698); account locked
 * (MariaDB 4151, MySQL 3118).
 */
const REFUSED = new Set([1044, 1045, 1698, 4151, 3118]);

interface ServerInfo {
  version: string;
  mariadb: boolean;
  major: number;
  minor: number;
}

export function parseServerVersion(version: string): ServerInfo {
  const m = /^(\d+)\.(\d+)/.exec(version);
  return { version, mariadb: /mariadb/i.test(version), major: m ? Number(m[1]) : 0, minor: m ? Number(m[2]) : 0 };
}

/**
 * MySQL 8 takes the cleartext (`SET PASSWORD ... = 'pw'`); MariaDB and MySQL 5.x take
 * PASSWORD('pw'), as in the templates. SET PASSWORD rather than ALTER USER ... IDENTIFIED BY:
 * it keeps the account's authentication plugin (MariaDB's ALTER USER switches it to
 * mysql_native_password) and, on MariaDB, needs no CREATE USER privilege for one's own password.
 */
function passwordValue(info: ServerInfo): string {
  return !info.mariadb && info.major >= 8 ? "?" : "PASSWORD(?)";
}

class MysqlSession implements DbSession {
  private info: ServerInfo | undefined;

  constructor(
    private readonly conn: mysql.Connection,
    private readonly signal: AbortSignal,
    private readonly where: string,
  ) {}

  private async run<T = mysql.RowDataPacket[]>(sql: string, values: unknown[], what: string, secrets: string[] = []): Promise<T> {
    try {
      const [rows] = await abortable(this.signal, this.conn.query({ sql, values, timeout: QUERY_TIMEOUT_MS }), () => this.conn.destroy());
      return rows as T;
    } catch (e) {
      if (e instanceof Cancelled) throw e;
      throw new DbError(`${what} failed on mysql at ${this.where}: ${safeMessage(e, secrets)}`);
    }
  }

  /** The server version; the session made to use backslash escapes (what mysql2's placeholders produce). */
  private async server(): Promise<ServerInfo> {
    if (!this.info) {
      const rows = await this.run<Array<{ version: string; mode: string }>>("SELECT VERSION() AS version, @@SESSION.sql_mode AS mode", [], "SELECT VERSION()");
      const row = rows[0];
      this.info = parseServerVersion(row?.version ?? "");
      const modes = (row?.mode ?? "").split(",");
      if (modes.includes("NO_BACKSLASH_ESCAPES")) {
        const kept = modes.filter((m) => m !== "NO_BACKSLASH_ESCAPES" && /^[A-Z_]+$/.test(m)).join(",");
        await this.run(`SET SESSION sql_mode = '${kept}'`, [], "SET SESSION sql_mode");
      }
    }
    return this.info;
  }

  async ping(): Promise<void> {
    await this.run("SELECT NOW()", [], "SELECT NOW()");
  }

  async setOwnPassword(_username: string, password: string): Promise<void> {
    const info = await this.server();
    await this.run(`SET PASSWORD = ${passwordValue(info)}`, [password], "SET PASSWORD", [password]);
  }

  async upsertAlternateUser(model: string, login: string, password: string): Promise<void> {
    const info = await this.server();
    const hosts = (await this.run<Array<{ Host: string }>>("SELECT Host FROM mysql.user WHERE User = ?", [model], `looking up user ${model}`)).map((r) => r.Host);
    if (hosts.length === 0) throw new DbError(`user ${model} does not exist on mysql at ${this.where}`);
    const host = hosts.includes("%") ? "%" : hosts.length === 1 ? hosts[0]! : undefined;
    if (host === undefined) throw new DbError(`user ${model} exists for several hosts (${hosts.join(", ")}) and none is '%': cannot tell which one to clone`);
    const account = this.conn.format("?@?", [login, host]);

    const exists = await this.run("SELECT 1 FROM mysql.user WHERE User = ? AND Host = ?", [login, host], `looking up user ${login}`);
    if (exists.length === 0) {
      // Created with a throw-away password: the pending one is set last, so "the pending
      // credential logs in" (the re-run check) means the grants were copied too.
      const placeholder = randomBytes(24).toString("base64url");
      await this.run("CREATE USER ?@? IDENTIFIED BY ?", [login, host, placeholder], `CREATE USER ${login}`, [placeholder]);
    }
    // Grants, every time (as the template does): what was granted to the current login since is copied too.
    const grantRows = await this.run<Array<Record<string, string>>>("SHOW GRANTS FOR ?@?", [model, host], `SHOW GRANTS FOR ${model}`);
    let statements: string[];
    try {
      statements = cloneGrantStatements(grantRows.map((r) => String(Object.values(r)[0] ?? "")), model, host, account);
    } catch (e) {
      if (e instanceof GrantCopyError) throw new DbError(`copying the grants of ${model} to ${login}: ${e.message}`);
      throw e;
    }
    for (const [i, sql] of statements.entries()) await this.run(sql, [], `copying grant ${i + 1} of ${model} to ${login}`);
    // TLS requirements (REQUIRE SSL / X509 / ...), as the template copies them.
    const tls = await this.run<Array<Record<string, unknown>>>(
      "SELECT ssl_type, ssl_cipher, x509_issuer, x509_subject FROM mysql.user WHERE User = ? AND Host = ?",
      [model, host],
      `reading the TLS requirements of ${model}`,
    );
    const require = requireClause(tls[0] ?? {});
    const alterUser = info.mariadb || info.major > 5 || (info.major === 5 && info.minor >= 7);
    await this.run(`${alterUser ? "ALTER USER ?@?" : "GRANT USAGE ON *.* TO ?@?"} ${require.sql}`, [login, host, ...require.values], `copying the TLS requirements of ${model} to ${login}`);
    await this.run(`SET PASSWORD FOR ?@? = ${passwordValue(info)}`, [login, host, password], `SET PASSWORD FOR ${login}`, [password]);
  }

  async close(): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      this.conn.end().catch(() => this.conn.destroy()),
      new Promise<void>((resolve) => {
        timer = setTimeout(() => {
          this.conn.destroy();
          resolve();
        }, 2_000);
      }),
    ]);
    clearTimeout(timer);
  }
}

function tlsOptions(t: DbLogin): mysql.SslOptions {
  if (t.ssl !== "verify-full") return { rejectUnauthorized: false };
  // mysql2 checks host names but not IP addresses (it sets no servername for them): done after the handshake below.
  return { rejectUnauthorized: true, verifyIdentity: isIP(t.host) === 0, ...(t.ca !== undefined ? { ca: t.ca } : {}) };
}

async function attempt(t: DbLogin, tls: boolean, signal: AbortSignal): Promise<LoginResult> {
  const fail = (msg: string, network = false) => new DbError(`could not connect to mysql at ${t.host}:${t.port}${describeTls(t.ssl, tls)}: ${msg}`, { network });
  const core = mysqlCore.createConnection({
    host: t.host,
    port: t.port,
    user: t.username,
    password: t.password,
    ...(t.dbname !== undefined ? { database: t.dbname } : {}),
    ...(tls ? { ssl: tlsOptions(t) } : {}),
    connectTimeout: CONNECT_TIMEOUT_MS,
    charset: "utf8mb4",
    multipleStatements: false,
  });
  const connected = new Promise<void>((resolve, reject) => {
    core.once("connect", () => resolve());
    core.once("error", reject);
  });
  try {
    await abortable(signal, connected, () => core.destroy());
  } catch (e) {
    core.destroy();
    if (e instanceof Cancelled) throw e;
    const errno = (e as { errno?: unknown }).errno;
    if (typeof errno === "number" && REFUSED.has(errno)) return { ok: false, reason: safeMessage(e, [t.password]) };
    throw fail(safeMessage(e, [t.password]), isNetworkError(e));
  }
  core.on("error", () => {}); // errors after connect surface through the query that hits them
  const conn = core.promise();
  if (tls && t.ssl === "verify-full" && isIP(t.host) !== 0) {
    const socket = (core as unknown as { stream?: Partial<TLSSocket> }).stream;
    const cert = typeof socket?.getPeerCertificate === "function" ? socket.getPeerCertificate() : undefined;
    const mismatch = cert && Object.keys(cert).length > 0 ? checkServerIdentity(t.host, cert as PeerCertificate) : new Error("no peer certificate to check");
    if (mismatch) {
      conn.destroy();
      throw fail(mismatch.message);
    }
  }
  return { ok: true, session: new MysqlSession(conn, signal, `${t.host}:${t.port}`) };
}

export const mysqlDriver: DbDriver = {
  label: "mysql",
  engines: ["mysql", "mariadb"],
  defaultPort: 3306,
  defaultDbname: undefined,
  // MySQL 5.7+ allows 32 characters, MariaDB 80 (the template's 16 is MySQL 5.6's limit).
  maxUsernameLength: (engine) => (engine === "mariadb" ? 80 : 32),
  login: (t, signal) => withTlsMode(t.ssl, (tls) => attempt(t, tls, signal)),
};
