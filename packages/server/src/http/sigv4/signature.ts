import { createHmac, timingSafeEqual } from "node:crypto";

/**
 * True when `provided` is the lower-case hex HMAC-SHA256 of `stringToSign` under `signingKey`
 * (as every AWS signer writes it; upper-case hex is refused). The form of the provided value is
 * checked first, which reveals nothing about the expected one; the 32 digest bytes are then
 * compared in constant time.
 */
export function signatureMatches(signingKey: Buffer, stringToSign: string, provided: string): boolean {
  if (!isLowerHex64(provided)) return false;
  return timingSafeEqual(Buffer.from(provided, "hex"), createHmac("sha256", signingKey).update(stringToSign).digest());
}

function isLowerHex64(value: string): boolean {
  if (value.length !== 64) return false;
  for (let i = 0; i < 64; i++) {
    const c = value.charCodeAt(i);
    if (!((c >= 0x30 && c <= 0x39) || (c >= 0x61 && c <= 0x66))) return false;
  }
  return true;
}
