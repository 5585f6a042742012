import { RotationError } from "../../rotator.js";
import { Cancelled, DbError } from "./driver.js";

/**
 * How a rotator secures its database connections:
 * - `disable`: plain TCP.
 * - `prefer` (default): TLS without verification, and plain TCP when TLS fails (the AWS
 *   templates try TLS and fall back the same way).
 * - `require`: TLS, the certificate not verified.
 * - `verify-full`: TLS, the chain verified against `sslCa` (else the system CAs) and the host
 *   name (or IP address) checked against the certificate.
 */
export const SSL_MODES = ["disable", "prefer", "require", "verify-full"] as const;
export type SslMode = (typeof SSL_MODES)[number];

function isMode(v: unknown): v is SslMode {
  return typeof v === "string" && (SSL_MODES as readonly string[]).includes(v);
}

/**
 * The TLS settings for a login with the credential in `fields` (a secret's JSON): the rotator
 * option `ssl` wins; else the secret's `ssl` field (true → require, false → disable, or a mode
 * name); else `prefer`. The CA: option `sslCa` (PEM), else the secret's `sslCA`.
 */
export function tlsSettings(options: Readonly<Record<string, string>>, fields: Record<string, unknown>, what: string): { ssl: SslMode; ca: string | undefined } {
  let ssl: SslMode;
  if (options.ssl !== undefined) {
    if (!isMode(options.ssl)) throw new RotationError(`option ssl must be one of ${SSL_MODES.join(", ")}`);
    ssl = options.ssl;
  } else {
    const f = fields.ssl;
    if (f === undefined || f === null) ssl = "prefer";
    else if (f === true || f === "true") ssl = "require";
    else if (f === false || f === "false") ssl = "disable";
    else if (isMode(f)) ssl = f;
    else throw new RotationError(`the ${what} value's "ssl" field must be true, false or one of ${SSL_MODES.join(", ")}`);
  }
  const fromSecret = fields.sslCA;
  if (fromSecret !== undefined && fromSecret !== null && typeof fromSecret !== "string") throw new RotationError(`the ${what} value's "sslCA" field must be a PEM string`);
  const ca = options.sslCa ?? (typeof fromSecret === "string" && fromSecret.trim() !== "" ? fromSecret : undefined);
  if (ca !== undefined && !ca.includes("-----BEGIN CERTIFICATE-----")) throw new RotationError("the TLS CA (option sslCa or the secret's sslCA) is not a PEM certificate");
  return { ssl, ca };
}

export function describeTls(ssl: SslMode, tls: boolean): string {
  return tls ? ` with TLS (${ssl})` : ssl === "prefer" ? " without TLS (prefer: TLS failed)" : "";
}

/**
 * Runs a login under the TLS mode: `attempt(tls)` is one connection attempt with or without
 * TLS; `prefer` tries again without TLS when the TLS attempt fails for a reason other than the
 * network (the server does not speak TLS, the handshake fails) or is refused in a way that
 * depends on the transport.
 */
export async function withTlsMode<R extends { ok: boolean; plainMightWork?: boolean }>(ssl: SslMode, attempt: (tls: boolean) => Promise<R>): Promise<R> {
  if (ssl === "disable") return attempt(false);
  if (ssl !== "prefer") return attempt(true);
  let first: R;
  try {
    first = await attempt(true);
  } catch (e) {
    if (e instanceof Cancelled || (e instanceof DbError && e.network)) throw e;
    return attempt(false);
  }
  if (!first.ok && first.plainMightWork) return attempt(false);
  return first;
}
