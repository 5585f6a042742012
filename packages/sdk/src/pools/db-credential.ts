import type { SecretVersion } from "../rotation-aware.js";
import { parseJsonSecret } from "./json-secret.js";

/**
 * A database login read from a secret in the AWS rotation templates' shape:
 * `{ engine, host, port, username, password, dbname, ssl?, sslCA? }` (other fields ignored).
 * `ssl`: true or "require" → TLS without verification; "verify-full" → TLS verified against
 * `sslCA` (else the system CAs); false or "disable" → plain TCP; absent or "prefer" → the pool
 * options decide (the Node drivers have no "try TLS, then plain" mode).
 */
export interface DbCredential {
  engine: string | undefined;
  host: string;
  port: number;
  username: string;
  password: string;
  dbname: string | undefined;
  ssl: false | { rejectUnauthorized: boolean; ca?: string } | undefined;
  /** The secret version it came from. */
  versionId: string;
}

/** Parses a version; errors name the secret and the field, never a value. */
export function parseDbCredential(v: SecretVersion, defaultPort: number): DbCredential {
  const f = parseJsonSecret<Record<string, unknown>>(v);
  if (!f || typeof f !== "object" || Array.isArray(f)) throw new Error(`secret ${v.Name} (version ${v.VersionId}) is not a JSON object`);
  const str = (key: string, required: boolean): string | undefined => {
    const x = f[key];
    if (x === undefined || x === null || x === "") {
      if (required) throw new Error(`secret ${v.Name} (version ${v.VersionId}) has no "${key}" field`);
      return undefined;
    }
    if (typeof x !== "string") throw new Error(`secret ${v.Name} (version ${v.VersionId}): "${key}" is not a string`);
    return x;
  };
  let port = defaultPort;
  if (f.port !== undefined && f.port !== null && f.port !== "") {
    port = typeof f.port === "number" ? f.port : typeof f.port === "string" && /^\d+$/.test(f.port) ? Number(f.port) : NaN;
    if (!Number.isInteger(port) || port < 1 || port > 65535) throw new Error(`secret ${v.Name} (version ${v.VersionId}): "port" is not a port number`);
  }
  const password = f.password;
  if (typeof password !== "string") throw new Error(`secret ${v.Name} (version ${v.VersionId}) has no "password" string`);
  const ca = typeof f.sslCA === "string" && f.sslCA.trim() !== "" ? f.sslCA : undefined;
  let ssl: DbCredential["ssl"];
  if (f.ssl === true || f.ssl === "true" || f.ssl === "require") ssl = { rejectUnauthorized: false };
  else if (f.ssl === "verify-full") ssl = { rejectUnauthorized: true, ...(ca ? { ca } : {}) };
  else if (f.ssl === false || f.ssl === "false" || f.ssl === "disable") ssl = false;
  return {
    engine: str("engine", false),
    host: str("host", true)!,
    port,
    username: str("username", true)!,
    password,
    dbname: str("dbname", false),
    ssl,
    versionId: v.VersionId,
  };
}

/** Whether two credentials open the same kind of connection (same server, login and TLS). */
export function sameLogin(a: DbCredential, b: DbCredential): boolean {
  return (
    a.host === b.host && a.port === b.port && a.username === b.username && a.password === b.password && a.dbname === b.dbname &&
    JSON.stringify(a.ssl) === JSON.stringify(b.ssl)
  );
}
