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
   * Opened values of sealed records still referenced from memory (the store's read cache), keyed
   * by the Sealed object, so an entry lives exactly as long as the cached record holding it and
   * goes with it when a write invalidates the record. A hot secret then costs no AES-GCM work per
   * read. This holds nothing an attacker reading process memory could not already decrypt with
   * the master key held in the same memory (ADR 4). Callers must not modify returned buffers.
   */
  private readonly opened = new WeakMap<Sealed, { owner: string; value: Buffer }>();

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

  /**
   * Throws ServiceError DecryptionFailure (never the cause's details, which could carry key ids
   * of other rows). A value answered from memory was opened before with the same binding.
   */
  async open(s: Sealed, purpose: string, bind: readonly string[]): Promise<Buffer> {
    const owner = `${purpose}\u0000${bind.join("\u0000")}`;
    const hit = this.opened.get(s);
    if (hit && hit.owner === owner) return hit.value;
    let dek: Buffer | undefined;
    try {
      dek = await this.keys.unwrap(s.keyId, s.wrappedKey, binding(`${purpose}/dek`, bind));
      const value = aeadOpen(dek, s.ciphertext, binding(purpose, bind));
      this.opened.set(s, { owner, value });
      return value;
    } catch {
      throw new ServiceError("DecryptionFailure", "Secrets Manager can't decrypt the protected secret text using the provided KMS key.");
    } finally {
      dek?.fill(0);
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
