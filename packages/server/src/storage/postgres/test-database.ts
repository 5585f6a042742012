/**
 * Throw-away databases on the machine's shared PostgreSQL (127.0.0.1:5432, user postgres, trust
 * authentication; override with KEYSHIFT_TEST_POSTGRES_URL) for the PostgreSQL store's tests.
 */
import { randomBytes } from "node:crypto";
import pg from "pg";

export const SHARED_POSTGRES_URL = process.env.KEYSHIFT_TEST_POSTGRES_URL ?? "postgres://postgres@127.0.0.1:5432/postgres";

/** undefined when the shared server answers, else why not (for the skip or CI failure message). */
export async function sharedPostgresUnavailable(): Promise<string | undefined> {
  const c = new pg.Client({ connectionString: SHARED_POSTGRES_URL, connectionTimeoutMillis: 3000 });
  c.on("error", () => undefined);
  try {
    await c.connect();
    await c.query("SELECT 1");
    return undefined;
  } catch (e) {
    return `PostgreSQL at ${SHARED_POSTGRES_URL.replace(/:[^:@/]*@/, ":***@")} (${(e as Error).message})`;
  } finally {
    await c.end().catch(() => undefined);
  }
}

export interface TestDatabase {
  name: string;
  /** URL of the new database (same server and user as the shared URL). */
  url: string;
  /** Drops the database, ending whatever sessions are still connected to it. */
  drop(): Promise<void>;
}

async function admin<T>(fn: (c: pg.Client) => Promise<T>): Promise<T> {
  const c = new pg.Client({ connectionString: SHARED_POSTGRES_URL, connectionTimeoutMillis: 10_000 });
  c.on("error", () => undefined);
  await c.connect();
  try {
    return await fn(c);
  } finally {
    await c.end().catch(() => undefined);
  }
}

/** A fresh, uniquely named database. */
export async function createTestDatabase(prefix = "keyshift_test"): Promise<TestDatabase> {
  const name = `${prefix}_${Date.now().toString(36)}_${randomBytes(4).toString("hex")}`;
  await admin((c) => c.query(`CREATE DATABASE ${pg.escapeIdentifier(name)}`));
  const u = new URL(SHARED_POSTGRES_URL);
  u.pathname = `/${name}`;
  return {
    name,
    url: u.toString(),
    drop: () => admin(async (c) => void (await c.query(`DROP DATABASE IF EXISTS ${pg.escapeIdentifier(name)} WITH (FORCE)`))),
  };
}
