import { createHmac, timingSafeEqual } from "node:crypto";

export const SIGNATURE_HEADER = "X-Keyshift-Signature";
export const TIMESTAMP_HEADER = "X-Keyshift-Timestamp";
export const DELIVERY_HEADER = "X-Keyshift-Delivery";
export const EVENT_HEADER = "X-Keyshift-Event";

/**
 * The signature of a webhook body: `sha256=` + hex HMAC-SHA256 under the webhook's secret of
 * `<timestamp>.<body>` (timestamp in epoch seconds, as sent in X-Keyshift-Timestamp). Binding
 * the timestamp makes a captured delivery useless after the receiver's tolerance.
 */
export function signBody(secret: string, timestamp: number, body: string): string {
  return `sha256=${createHmac("sha256", secret).update(`${timestamp}.${body}`).digest("hex")}`;
}

/**
 * What a receiver does: true when `signature` is the body's signature under `secret` and the
 * timestamp is within `toleranceSeconds` of `nowSeconds` (constant-time comparison). Receivers
 * should also drop a repeated X-Keyshift-Delivery id (retries reuse it).
 */
export function verifySignature(secret: string, timestamp: string, signature: string, body: string, nowSeconds: number, toleranceSeconds = 300): boolean {
  if (!/^\d{1,12}$/.test(timestamp)) return false;
  if (Math.abs(nowSeconds - Number(timestamp)) > toleranceSeconds) return false;
  const want = Buffer.from(signBody(secret, Number(timestamp), body));
  const got = Buffer.from(signature);
  return got.length === want.length && timingSafeEqual(got, want);
}
