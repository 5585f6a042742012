import Database from "better-sqlite3";

/** What a backup records about a snapshot, read from the snapshot itself. */
export interface SnapshotFacts {
  schemaVersion: number;
  counts: Record<string, number>;
  masterKeyIds: string[];
}

/**
 * Copies a consistent snapshot of a live SQLite database (WAL mode) into `dest`, an empty file
 * the caller created with the mode it wants. VACUUM INTO reads inside one read transaction, so
 * the copy is exactly the database as of one commit; in WAL mode a reader blocks no writer, so
 * the server keeps writing (its WAL only cannot be checkpointed past the snapshot until the copy
 * ends). The source is opened read-only: a backup never migrates or changes the live file.
 */
export function snapshotSqlite(source: string, dest: string): void {
  const db = new Database(source, { readonly: true, fileMustExist: true });
  try {
    db.pragma("busy_timeout = 10000");
    db.prepare("VACUUM INTO ?").run(dest);
  } finally {
    db.close();
  }
}

/** Schema version, row counts and master key ids of a Keyshift SQLite file. */
export function snapshotFacts(db: Database.Database): SnapshotFacts {
  const hasMigrations = db.prepare(`SELECT 1 FROM sqlite_master WHERE type='table' AND name='schema_migrations'`).get() !== undefined;
  const schemaVersion = hasMigrations ? ((db.prepare(`SELECT MAX(version) AS v FROM schema_migrations`).get() as { v: number | null }).v ?? 0) : 0;
  const tables = (db.prepare(`SELECT name FROM sqlite_master WHERE type='table' AND name NOT LIKE 'sqlite_%' ORDER BY name`).pluck().all() as string[]);
  const counts: Record<string, number> = {};
  for (const t of tables) counts[t] = db.prepare(`SELECT COUNT(*) FROM "${t.replace(/"/g, '""')}"`).pluck().get() as number;
  // Audit records are stored in blocks (storage/sqlite/audit-blocks.ts): count the records, not the rows.
  if (tables.includes("audit_blocks")) counts.audit_records = db.prepare(`SELECT COALESCE(SUM(last_seq - first_seq + 1), 0) FROM audit_blocks`).pluck().get() as number;
  const keyTables = tables.filter((t) => t === "versions" || t === "access_keys");
  const masterKeyIds = keyTables.length === 0 ? [] : (db
    .prepare(keyTables.map((t) => `SELECT DISTINCT key_id FROM ${t} WHERE key_id IS NOT NULL`).join(" UNION ") + " ORDER BY 1")
    .pluck()
    .all() as string[]);
  return { schemaVersion, counts, masterKeyIds };
}
