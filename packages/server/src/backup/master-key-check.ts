import type Database from "better-sqlite3";
import { aeadOpen, binding } from "../crypto/aead.js";
import { bindings } from "../crypto/bindings.js";
import type { KeyProvider } from "../crypto/key-provider.js";
import { UnknownMasterKeyError } from "../crypto/keyring.js";

export class WrongMasterKeyError extends Error {}

interface SealedRow {
  key_id: string;
  wrapped_key: Buffer;
  ciphertext: Buffer;
  purpose: string;
  bind: string[];
}

/** Up to `perKey` rows per master key id of one table, spread over the table (random offsets). */
function sample(db: Database.Database, table: "versions" | "access_keys", perKey: number): SealedRow[] {
  const out: SealedRow[] = [];
  const select =
    table === "versions"
      ? `SELECT v.key_id, v.wrapped_key, v.ciphertext, s.account_id, v.secret_uid AS a, v.version_id AS b FROM versions v JOIN secrets s ON s.uid = v.secret_uid
         WHERE v.key_id = ? AND v.ciphertext IS NOT NULL LIMIT 1 OFFSET ?`
      : `SELECT key_id, wrapped_key, ciphertext, account_id, access_key_id AS a, NULL AS b FROM access_keys WHERE key_id = ? LIMIT 1 OFFSET ?`;
  const one = db.prepare(select);
  const ids = db.prepare(`SELECT key_id, COUNT(*) AS n FROM ${table} WHERE key_id IS NOT NULL GROUP BY key_id`).all() as { key_id: string; n: number }[];
  for (const { key_id, n } of ids) {
    const offsets = new Set<number>([0, n - 1]);
    while (offsets.size < Math.min(perKey, n)) offsets.add(Math.floor(Math.random() * n));
    for (const off of offsets) {
      const r = one.get(key_id, off) as { key_id: string; wrapped_key: Buffer; ciphertext: Buffer; account_id: string; a: string; b: string | null } | undefined;
      if (!r) continue;
      out.push(
        table === "versions"
          ? { ...r, purpose: bindings.secretValue.purpose, bind: bindings.secretValue.bind(r.account_id, r.a, r.b!) }
          : { ...r, purpose: bindings.accessKey.purpose, bind: bindings.accessKey.bind(r.account_id, r.a) },
      );
    }
  }
  return out;
}

/**
 * Proves that `keys` opens the data in a Keyshift SQLite file: for every master key id in use,
 * a sample of secret versions and access keys is unwrapped and decrypted (plaintexts are zeroed
 * at once, never returned). Throws WrongMasterKeyError naming key ids only, never material.
 * Returns how many sealed values were opened.
 */
export async function checkMasterKey(db: Database.Database, keys: KeyProvider, perKey = 8): Promise<number> {
  const rows = [...sample(db, "versions", perKey), ...sample(db, "access_keys", perKey)];
  const unknown = new Set<string>();
  let failed = 0;
  for (const r of rows) {
    try {
      const dek = await keys.unwrap(r.key_id, r.wrapped_key, binding(`${r.purpose}/dek`, r.bind));
      try {
        aeadOpen(dek, r.ciphertext, binding(r.purpose, r.bind)).fill(0);
      } finally {
        dek.fill(0);
      }
    } catch (e) {
      if (e instanceof UnknownMasterKeyError) unknown.add(r.key_id);
      else failed++;
    }
  }
  if (unknown.size > 0) {
    throw new WrongMasterKeyError(
      `wrong master key: the backup's data keys are wrapped by master key ${[...unknown].join(", ")}, which the provided ${keys.name} key provider does not hold (its active key is ${keys.activeKeyId()}). ` +
        `Restore with the master.key file (--master-key FILE) or KEYSHIFT_MASTER_KEY of the server the backup was taken from.`,
    );
  }
  if (failed > 0) throw new WrongMasterKeyError(`wrong master key: ${failed} of ${rows.length} sampled data keys do not decrypt with the provided ${keys.name} key provider (the key ids match, the key material does not)`);
  return rows.length;
}
