/** PostgreSQL for the database rotators, with `pg`. */
import type { ConnectionOptions } from "node:tls";
import pg from "pg";
import { abortable, Cancelled, DbError, isNetworkError, safeMessage, type DbDriver, type DbLogin, type DbSession, type LoginResult } from "../database/driver.js";
import { describeTls, withTlsMode } from "../database/tls.js";
import { alterRolePasswordSql, createRoleSql, passwordMethod } from "./password.js";

const CONNECT_TIMEOUT_MS = 5_000;
/** Client-side (no statement_timeout startup parameter: poolers such as PgBouncer refuse unknown ones). */
const QUERY_TIMEOUT_MS = 30_000;
/** invalid_password; invalid_authorization_specification (pg_hba rejects, unknown role under some methods). */
const REFUSED = new Set(["28P01", "28000"]);

/** Closes at once: no Terminate message, the socket destroyed (failed or aborted connections). */
function destroy(client: pg.Client): void {
  const stream = (client as unknown as { connection?: { stream?: { destroy?: () => void } } }).connection?.stream;
  stream?.destroy?.();
}

/** Ends a connection politely, or destroys it when the server does not answer within 2 s. */
async function close(client: pg.Client): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([
    client.end().catch(() => {}),
    new Promise<void>((resolve) => {
      timer = setTimeout(() => {
        destroy(client);
        resolve();
      }, 2_000);
    }),
  ]);
  clearTimeout(timer);
}

function tlsOptions(t: DbLogin): ConnectionOptions {
  if (t.ssl === "verify-full") return { rejectUnauthorized: true, ...(t.ca !== undefined ? { ca: t.ca } : {}) };
  return { rejectUnauthorized: false };
}

class PgSession implements DbSession {
  private encryption: string | undefined | null = null;

  constructor(
    private readonly client: pg.Client,
    private readonly signal: AbortSignal,
    private readonly where: string,
  ) {}

  private async run(sql: string, params: unknown[] = [], what: string, secrets: string[] = []): Promise<pg.QueryResult> {
    try {
      return await abortable(this.signal, this.client.query(sql, params), () => destroy(this.client));
    } catch (e) {
      if (e instanceof Cancelled) throw e;
      throw new DbError(`${what} failed on postgres at ${this.where}: ${safeMessage(e, secrets)}`);
    }
  }

  /** The server's password_encryption (undefined when it cannot be read: the password is then sent as it is). */
  private async passwordEncryption(): Promise<string | undefined> {
    if (this.encryption === null) {
      try {
        const r = await abortable(this.signal, this.client.query<{ password_encryption: string }>("SHOW password_encryption"), () => destroy(this.client));
        this.encryption = r.rows[0]?.password_encryption;
      } catch (e) {
        if (e instanceof Cancelled) throw e;
        this.encryption = undefined;
      }
    }
    return this.encryption;
  }

  async ping(): Promise<void> {
    await this.run("SELECT NOW()", [], "SELECT NOW()");
  }

  async setOwnPassword(username: string, password: string): Promise<void> {
    const method = passwordMethod(await this.passwordEncryption(), password);
    await this.run(await alterRolePasswordSql(username, password, method), [], `ALTER ROLE ${username} WITH PASSWORD`, [password]);
  }

  async upsertAlternateUser(model: string, login: string, password: string): Promise<void> {
    const method = passwordMethod(await this.passwordEncryption(), password);
    // One transaction: a crash never leaves a role that logs in with the pending password but lacks the grant.
    await this.run("BEGIN", [], "BEGIN");
    try {
      const exists = await this.run("SELECT 1 FROM pg_roles WHERE rolname = $1", [login], `looking up role ${login}`);
      if (exists.rowCount === 0) {
        await this.run(await createRoleSql(login, password, method), [], `CREATE ROLE ${login}`, [password]);
        await this.run(`GRANT ${pg.escapeIdentifier(model)} TO ${pg.escapeIdentifier(login)}`, [], `GRANT ${model} TO ${login}`);
      } else {
        await this.run(await alterRolePasswordSql(login, password, method), [], `ALTER ROLE ${login} WITH PASSWORD`, [password]);
      }
      await this.run("COMMIT", [], "COMMIT");
    } catch (e) {
      await this.client.query("ROLLBACK").catch(() => {});
      throw e;
    }
  }

  close(): Promise<void> {
    return close(this.client);
  }
}

async function attempt(t: DbLogin, tls: boolean, signal: AbortSignal): Promise<LoginResult> {
  const client = new pg.Client({
    host: t.host,
    port: t.port,
    user: t.username,
    password: t.password,
    database: t.dbname ?? "postgres",
    ssl: tls ? tlsOptions(t) : false,
    connectionTimeoutMillis: CONNECT_TIMEOUT_MS,
    query_timeout: QUERY_TIMEOUT_MS,
    application_name: "keyshift-rotation",
  });
  client.on("error", () => {}); // errors after connect surface through the query that hits them
  try {
    await abortable(signal, client.connect(), () => destroy(client));
  } catch (e) {
    destroy(client);
    if (e instanceof Cancelled) throw e;
    const code = (e as { code?: unknown }).code;
    if (typeof code === "string" && REFUSED.has(code)) {
      return { ok: false, reason: safeMessage(e, [t.password]), plainMightWork: tls && code === "28000" };
    }
    throw new DbError(`could not connect to postgres at ${t.host}:${t.port}${describeTls(t.ssl, tls)}: ${safeMessage(e, [t.password])}`, {
      network: isNetworkError(e),
    });
  }
  return { ok: true, session: new PgSession(client, signal, `${t.host}:${t.port}`) };
}

export const postgresDriver: DbDriver = {
  label: "postgres",
  engines: ["postgres"],
  defaultPort: 5432,
  defaultDbname: "postgres",
  maxUsernameLength: () => 63,
  login: (t, signal) => withTlsMode(t.ssl, (tls) => attempt(t, tls, signal)),
};
