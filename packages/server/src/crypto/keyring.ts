import { randomBytes, createHash } from "node:crypto";
import { aeadOpen, aeadSeal } from "./aead.js";
import type { KeyProvider } from "./key-provider.js";

/** Master keys by id, and which one wraps new data keys. */
export interface Keyring {
  active: string;
  keys: Map<string, Buffer>;
}

export class UnknownMasterKeyError extends Error {
  constructor(readonly keyId: string) {
    super(`master key ${keyId} is not in the keyring`);
  }
}

export function newMasterKey(): { id: string; key: Buffer } {
  const stamp = new Date().toISOString().replace(/[-:T]/g, "").slice(0, 14);
  return { id: `mk-${stamp}-${randomBytes(3).toString("hex")}`, key: randomBytes(32) };
}

/** Stable id of a key supplied from outside (environment): a fingerprint, never the key itself. */
export function fingerprintId(key: Buffer): string {
  return `mk-env-${createHash("sha256").update("keyshift-master-key-id").update(key).digest("hex").slice(0, 16)}`;
}

export function parseKey(b64: string, what: string): Buffer {
  const k = Buffer.from(b64.trim().replace(/^base64:/, ""), "base64");
  if (k.length !== 32) throw new Error(`${what} must be 32 bytes, base64-encoded (got ${k.length} bytes)`);
  return k;
}

/**
 * A KeyProvider over an in-process keyring. `load` supplies the keyring; `refresh` (optional)
 * returns a new keyring when its source changed, and is consulted before every wrap (so a
 * rotation done by another process is picked up before the next write) and when unwrap meets an
 * unknown key id.
 */
export class KeyringProvider implements KeyProvider {
  private ring: Keyring;
  constructor(
    readonly name: string,
    load: () => Keyring,
    private readonly refresh: () => Keyring | undefined = () => undefined,
  ) {
    this.ring = load();
    if (!this.ring.keys.has(this.ring.active)) throw new Error(`active master key ${this.ring.active} missing from keyring`);
  }

  activeKeyId(): string {
    this.maybeRefresh();
    return this.ring.active;
  }

  async wrap(dataKey: Buffer, aad: Buffer): Promise<{ keyId: string; wrapped: Buffer }> {
    this.maybeRefresh();
    const keyId = this.ring.active;
    return { keyId, wrapped: aeadSeal(this.ring.keys.get(keyId)!, dataKey, aad) };
  }

  async unwrap(keyId: string, wrapped: Buffer, aad: Buffer): Promise<Buffer> {
    let key = this.ring.keys.get(keyId);
    if (!key) {
      this.maybeRefresh();
      key = this.ring.keys.get(keyId);
      if (!key) throw new UnknownMasterKeyError(keyId);
    }
    return aeadOpen(key, wrapped, aad);
  }

  private maybeRefresh(): void {
    const next = this.refresh();
    if (next && next.keys.has(next.active)) this.ring = next;
  }
}
