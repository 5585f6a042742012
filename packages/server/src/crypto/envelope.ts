import { randomBytes } from "node:crypto";
import { ServiceError } from "@keyshift/protocol";
import { aeadOpen, aeadSeal, binding } from "./aead.js";
import type { KeyProvider } from "./key-provider.js";

/** A value encrypted under its own data key, and that data key wrapped under a master key. */
export interface Sealed {
  keyId: string;
  wrappedKey: Buffer;
  ciphertext: Buffer;
}

/**
 * Envelope encryption: every seal draws a fresh AES-256-GCM data key. The owner (`bind`: e.g.
 * account, secret uid, version id) is authenticated into both the value ciphertext and the
 * wrapped key, so a ciphertext copied to another row fails to open.
 */
export class Envelope {
  /**
   * Unwrapped data keys of sealed values still referenced from memory (the store's read cache):
   * a hot secret costs one AES-GCM open per read instead of two. Keyed by the Sealed object, so
   * an entry lives exactly as long as the cached record holding it.
   */
  private readonly dataKeys = new WeakMap<Sealed, Buffer>();

  constructor(readonly keys: KeyProvider) {}

  async seal(plaintext: Buffer, purpose: string, bind: readonly string[]): Promise<Sealed> {
    const dek = randomBytes(32);
    try {
      const ciphertext = aeadSeal(dek, plaintext, binding(purpose, bind));
      const { keyId, wrapped } = await this.keys.wrap(dek, binding(`${purpose}/dek`, bind));
      return { keyId, wrappedKey: wrapped, ciphertext };
    } finally {
      dek.fill(0);
    }
  }

  /** Throws ServiceError DecryptionFailure (never the cause's details, which could carry key ids of other rows). */
  async open(s: Sealed, purpose: string, bind: readonly string[]): Promise<Buffer> {
    try {
      let dek = this.dataKeys.get(s);
      if (!dek) {
        dek = await this.keys.unwrap(s.keyId, s.wrappedKey, binding(`${purpose}/dek`, bind));
        this.dataKeys.set(s, dek);
      }
      return aeadOpen(dek, s.ciphertext, binding(purpose, bind));
    } catch {
      throw new ServiceError("DecryptionFailure", "Secrets Manager can't decrypt the protected secret text using the provided KMS key.");
    }
  }

  /** Re-wraps the data key under the active master key; the value ciphertext is untouched. Undefined if already current. */
  async rewrap(s: Sealed, purpose: string, bind: readonly string[]): Promise<Sealed | undefined> {
    const active = this.keys.activeKeyId();
    if (s.keyId === active) return undefined;
    const aad = binding(`${purpose}/dek`, bind);
    const dek = await this.keys.unwrap(s.keyId, s.wrappedKey, aad);
    try {
      const { keyId, wrapped } = await this.keys.wrap(dek, aad);
      return { keyId, wrappedKey: wrapped, ciphertext: s.ciphertext };
    } finally {
      dek.fill(0);
    }
  }
}
