/**
 * SigV4's URI encoding (RFC 3986): every byte of the UTF-8 form except the unreserved characters
 * `A-Z a-z 0-9 - . _ ~` becomes `%XX` with upper-case hex. The functions return their input
 * unchanged (no allocation) when it needs no encoding, which is the common case on the hot path.
 */

const HEX = "0123456789ABCDEF";
const SLASH = 0x2f;
const PERCENT = 0x25;
const PLUS = 0x2b;

/** 1 for the unreserved ASCII characters, 0 otherwise. */
const unreserved = new Uint8Array(128);
for (const c of "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~") unreserved[c.charCodeAt(0)] = 1;

/**
 * Encodes a URI path as the AWS signers do for every service but S3: each character except the
 * unreserved ones and `/` is encoded, including `%`, so a path that was percent-encoded on the
 * wire ends up encoded twice. Total: never throws (a lone surrogate encodes as U+FFFD).
 */
export function encodePath(path: string): string {
  if (isPlain(path, true)) return path;
  let out = "";
  for (const byte of Buffer.from(path, "utf8")) out += byte === SLASH || isUnreserved(byte) ? String.fromCharCode(byte) : escape(byte);
  return out;
}

/**
 * Canonicalises one key or value of a query string as received: `%XX` escapes are decoded,
 * `+` is read as a space (what form encoding, and so botocore's wire format, means by it), and
 * the resulting bytes are re-encoded per RFC 3986. A `%` that does not start a valid escape is
 * taken literally. Never throws.
 */
export function canonicalQueryComponent(raw: string): string {
  if (isPlain(raw, false)) return raw;
  const bytes = Buffer.from(raw, "utf8");
  let out = "";
  for (let i = 0; i < bytes.length; i++) {
    let byte = bytes[i]!;
    if (byte === PERCENT && i + 2 < bytes.length && hexValue(bytes[i + 1]!) >= 0 && hexValue(bytes[i + 2]!) >= 0) {
      byte = hexValue(bytes[i + 1]!) * 16 + hexValue(bytes[i + 2]!);
      i += 2;
    } else if (byte === PLUS) {
      byte = 0x20;
    }
    out += isUnreserved(byte) ? String.fromCharCode(byte) : escape(byte);
  }
  return out;
}

function isPlain(s: string, allowSlash: boolean): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 128 || (unreserved[c] === 0 && !(allowSlash && c === SLASH))) return false;
  }
  return true;
}

function isUnreserved(byte: number): boolean {
  return byte < 128 && unreserved[byte] === 1;
}

function escape(byte: number): string {
  return "%" + HEX[byte >> 4]! + HEX[byte & 15]!;
}

function hexValue(c: number): number {
  if (c >= 0x30 && c <= 0x39) return c - 0x30;
  if (c >= 0x41 && c <= 0x46) return c - 0x37;
  if (c >= 0x61 && c <= 0x66) return c - 0x57;
  return -1;
}
