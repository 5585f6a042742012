import type pg from "pg";
import { rotationParams, secretParams } from "../sqlite/rows.js";
import { StoreConflict, secretUidOf, type Change } from "../store.js";

/** NOTIFY channel of committed secret changes (payload: `{"o": origin, "u": [secret uids]}`). */
export const SECRETS_CHANNEL = "keyshift_secrets";

/** Unique constraints whose violation is a conflict the domain understands, by constraint name. */
const CONFLICTS: Record<string, StoreConflict["kind"]> = {
  secrets_arn_unique: "name",
  secrets_name_unique: "name",
  secrets_pkey: "name",
  versions_unique: "version",
  rotations_one_running: "rotation",
  users_unique: "name",
};

/** Deadlock and serialization failure: the transaction did nothing and may simply run again. */
const RETRY = new Set(["40P01", "40001"]);

/** The StoreConflict a PostgreSQL error stands for, or the error itself. */
export function mapError(e: unknown): unknown {
  const pe = e as { code?: string; constraint?: string };
  if (pe.code === "23505" && pe.constraint && CONFLICTS[pe.constraint]) return new StoreConflict(CONFLICTS[pe.constraint]!, pe.constraint);
  if (pe.code === "KS001") return new StoreConflict("revision", (e as { detail?: string }).detail ?? "");
  if (pe.code === "KS002") return new StoreConflict("missing", (e as { detail?: string }).detail ?? "");
  // A label on a version that does not exist, a version of a secret that does not (or no longer) exist.
  if (pe.code === "23503") return new StoreConflict("missing", pe.constraint ?? "foreign key");
  return e;
}

/**
 * Runs `fn` in one transaction on a pooled connection: all of it commits or none of it does.
 * A deadlock or serialization failure rolls back and runs `fn` again (up to 5 times); any other
 * error rolls back and is thrown (constraint violations as StoreConflict). A connection that
 * broke is discarded rather than returned to the pool.
 */
export async function inTransaction<T>(pool: pg.Pool, fn: (c: pg.PoolClient) => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    const c = await pool.connect();
    let broken: Error | undefined;
    // A checked-out connection that breaks between two queries emits "error"; unheard, it would end the process.
    const onError = (e: Error) => void (broken ??= e);
    c.on("error", onError);
    try {
      await c.query("BEGIN");
      const r = await fn(c);
      await c.query("COMMIT");
      return r;
    } catch (e) {
      await c.query("ROLLBACK").catch((re: Error) => (broken = re));
      const code = (e as { code?: string }).code;
      if (code && RETRY.has(code) && attempt < 5) continue;
      throw mapError(e);
    } finally {
      c.off("error", onError);
      c.release(broken);
    }
  }
}

/** The secrets a list of changes touches (for cross-node cache invalidation). */
export function touchedUids(changes: readonly Change[]): string[] {
  const out = new Set<string>();
  for (const c of changes) {
    const uid = secretUidOf(c);
    if (uid !== undefined) out.add(uid);
  }
  return [...out];
}

const b64 = (b: Buffer | undefined) => (b === undefined ? null : b.toString("base64"));

/** A change as the JSON keyshift_commit() reads (migration 3): column names, bytea as base64. */
function changeRow(ch: Change): Record<string, unknown> {
  switch (ch.op) {
    case "insertSecret":
    case "updateSecret":
      return { op: ch.op, ...secretParams(ch.secret) };
    case "deleteSecret":
      return { op: ch.op, uid: ch.uid };
    case "insertVersion":
      return { op: ch.op, secret_uid: ch.secretUid, version_id: ch.versionId, created_at: ch.createdAt, kind: ch.kind ?? null, key_id: ch.sealed?.keyId ?? null, wrapped_key: b64(ch.sealed?.wrappedKey), ciphertext: b64(ch.sealed?.ciphertext) };
    case "setVersionValue":
      return { op: ch.op, secret_uid: ch.secretUid, version_id: ch.versionId, kind: ch.kind, key_id: ch.sealed.keyId, wrapped_key: b64(ch.sealed.wrappedKey), ciphertext: b64(ch.sealed.ciphertext) };
    case "deleteVersion":
      return { op: ch.op, secret_uid: ch.secretUid, version_id: ch.versionId };
    case "setStage":
      return { op: ch.op, secret_uid: ch.secretUid, stage: ch.stage, version_id: ch.versionId };
    case "insertRotation":
    case "updateRotation":
      return { op: ch.op, ...rotationParams(ch.rotation) };
  }
}

/** The payload of a SECRETS_CHANNEL notification; over NOTIFY's 8000-byte limit it names no secrets ("everything"). */
export function secretsPayload(origin: string, uids: readonly string[]): string {
  const payload = JSON.stringify({ o: origin, u: uids });
  return payload.length > 7000 ? JSON.stringify({ o: origin }) : payload;
}

/**
 * Applies `changes` in ONE round trip: keyshift_commit() runs them in order inside a single
 * statement, hence one transaction, and notifies the other nodes of `uids` when it commits.
 * Compare-and-set misses come back as StoreConflict("revision" / "missing"), unique violations
 * as their conflict kinds; deadlocks and serialization failures are retried (up to 5 times).
 */
export async function commitChanges(pool: pg.Pool, changes: readonly Change[], origin: string): Promise<void> {
  const uids = touchedUids(changes);
  const values = [JSON.stringify(changes.map(changeRow)), SECRETS_CHANNEL, uids.length > 0 ? secretsPayload(origin, uids) : null];
  for (let attempt = 1; ; attempt++) {
    try {
      await pool.query({ name: "ks_commit", text: "SELECT keyshift_commit($1::jsonb, $2, $3)", values });
      return;
    } catch (e) {
      const code = (e as { code?: string }).code;
      if (code && RETRY.has(code) && attempt < 5) continue;
      throw mapError(e);
    }
  }
}
