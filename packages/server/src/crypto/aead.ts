import { createCipheriv, createDecipheriv, randomBytes } from "node:crypto";

const IV = 12;
const TAG = 16;

/** AES-256-GCM with a random 96-bit IV; output is iv ‖ ciphertext ‖ tag. */
export function aeadSeal(key: Buffer, plaintext: Buffer, aad: Buffer): Buffer {
  const iv = randomBytes(IV);
  const c = createCipheriv("aes-256-gcm", key, iv);
  c.setAAD(aad);
  const body = c.update(plaintext);
  const final = c.final();
  return Buffer.concat([iv, body, final, c.getAuthTag()]);
}

/** Inverse of aeadSeal; throws if the key, the aad or any byte differs. */
export function aeadOpen(key: Buffer, sealed: Buffer, aad: Buffer): Buffer {
  if (sealed.length < IV + TAG) throw new Error("ciphertext too short");
  const d = createDecipheriv("aes-256-gcm", key, sealed.subarray(0, IV));
  d.setAAD(aad);
  d.setAuthTag(sealed.subarray(sealed.length - TAG));
  const body = d.update(sealed.subarray(IV, sealed.length - TAG));
  return Buffer.concat([body, d.final()]);
}

/**
 * Additional authenticated data: a purpose and the owner's identifying parts, each
 * length-prefixed so that no two different bindings encode alike.
 */
export function binding(purpose: string, parts: readonly string[]): Buffer {
  const items = [purpose, ...parts].map((p) => Buffer.from(p, "utf8"));
  const out = Buffer.allocUnsafe(11 + items.reduce((n, b) => n + 4 + b.length, 0));
  let o = out.write("keyshift/v1", 0, "latin1");
  for (const b of items) {
    o = out.writeUInt32BE(b.length, o);
    o += b.copy(out, o);
  }
  return out;
}
