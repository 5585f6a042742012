/**
 * Wraps and unwraps data keys under master keys. Implementations: a keyring in a 0600 file in
 * the data dir (keyring-file.ts) and a key in the environment (keyring-env.ts); a KMS or HSM
 * provider would implement the same three methods.
 *
 * Contract: `wrap` always uses the active key and reports its id; `unwrap` accepts any key the
 * provider still holds (old keys stay readable during a master-key rotation) and throws when the
 * key id is unknown or the wrapped bytes or `aad` were altered.
 */
export interface KeyProvider {
  readonly name: string;
  activeKeyId(): string;
  wrap(dataKey: Buffer, aad: Buffer): Promise<{ keyId: string; wrapped: Buffer }>;
  unwrap(keyId: string, wrapped: Buffer, aad: Buffer): Promise<Buffer>;
}
