import Database from "better-sqlite3";
import { closeSync, openSync } from "node:fs";
import { sqliteMigrations } from "./migrations.js";

export interface ConnectionOptions {
  /** Database file, or ":memory:". */
  path: string;
  synchronous?: "full" | "normal";
  /** Page cache, MiB (default 64). */
  cacheMiB?: number;
  /** Memory-mapped I/O window, MiB (default 1024). */
  mmapMiB?: number;
}

/**
 * Opens a connection with Keyshift's settings: WAL, the configured `synchronous`, a busy timeout
 * so that several connections and processes can share the file, foreign keys, and for reads a
 * large page cache and memory-mapped I/O. The file is created 0600.
 */
export function openConnection(o: ConnectionOptions): Database.Database {
  if (o.path !== ":memory:") closeSync(openSync(o.path, "a", 0o600));
  const db = new Database(o.path);
  db.pragma("journal_mode = WAL");
  db.pragma(`synchronous = ${o.synchronous ?? "full"}`);
  db.pragma("busy_timeout = 10000");
  db.pragma("foreign_keys = ON");
  db.pragma(`cache_size = -${(o.cacheMiB ?? 64) * 1024}`);
  db.pragma(`mmap_size = ${(o.mmapMiB ?? 1024) * 1024 * 1024}`);
  return db;
}

/** Applies pending migrations in one IMMEDIATE transaction (two processes opening a fresh file do not both migrate). */
export function migrate(db: Database.Database): void {
  db.exec(`CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, applied_at INTEGER NOT NULL)`);
  db.transaction(() => {
    const row = db.prepare(`SELECT MAX(version) AS v FROM schema_migrations`).get() as { v: number | null };
    for (let i = row.v ?? 0; i < sqliteMigrations.length; i++) {
      db.exec(sqliteMigrations[i]!);
      db.prepare(`INSERT INTO schema_migrations (version, applied_at) VALUES (?, ?)`).run(i + 1, Date.now());
    }
  }).immediate();
}
