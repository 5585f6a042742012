import { KeyringProvider, fingerprintId, parseKey } from "./keyring.js";

/**
 * KeyProvider for a master key supplied by the environment (KEYSHIFT_MASTER_KEY), with earlier
 * keys (KEYSHIFT_MASTER_KEY_PREVIOUS) still accepted for unwrapping until `keyshift master-key
 * rewrap` has moved every data key to the current one.
 */
export function envKeyProvider(current: string, previous: readonly string[]): KeyringProvider {
  const active = parseKey(current, "KEYSHIFT_MASTER_KEY");
  const keys = new Map<string, Buffer>([[fingerprintId(active), active]]);
  for (const p of previous) {
    const k = parseKey(p, "KEYSHIFT_MASTER_KEY_PREVIOUS");
    keys.set(fingerprintId(k), k);
  }
  return new KeyringProvider("env", () => ({ active: fingerprintId(active), keys }));
}
