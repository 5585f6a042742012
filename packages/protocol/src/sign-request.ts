import { createHash, createHmac } from "node:crypto";

export interface SigningCredentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
}

export interface RequestToSign {
  method: string;
  /** Host header value exactly as it will be sent (host[:port]). */
  host: string;
  /** Path without query, URI-encoded as it will be sent (`/` for the JSON protocol). */
  path: string;
  /** The query string as sent, without `?` (application/x-www-form-urlencoded or RFC 3986). */
  query?: string;
  headers: Record<string, string>;
  body: string | Buffer;
  region: string;
  service: string;
  /** ms since the epoch; default now. */
  now?: number;
}

const hex = (d: string | Buffer) => createHash("sha256").update(d).digest("hex");

const rfc3986 = (s: string) => encodeURIComponent(s).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);

/** SigV4 canonical query: pairs decoded, RFC 3986 re-encoded, sorted by name then value. */
function canonicalQuery(query: string | undefined): string {
  if (!query) return "";
  return query
    .split("&")
    .filter(Boolean)
    .map((p) => {
      const eq = p.indexOf("=");
      const dec = (x: string) => decodeURIComponent(x.replace(/\+/g, " "));
      return [rfc3986(dec(eq < 0 ? p : p.slice(0, eq))), rfc3986(dec(eq < 0 ? "" : p.slice(eq + 1)))] as const;
    })
    .sort(([a, av], [b, bv]) => (a < b ? -1 : a > b ? 1 : av < bv ? -1 : av > bv ? 1 : 0))
    .map(([k, v]) => `${k}=${v}`)
    .join("&");
}

/**
 * Signs a request without a query string with AWS Signature Version 4 and returns every header
 * to send (the given ones plus host, x-amz-date, x-amz-content-sha256, authorization). Used by
 * Keyshift's own clients (agent, SDK, benchmarks); the server side lives in the server package.
 */
export function signRequest(r: RequestToSign, c: SigningCredentials): Record<string, string> {
  const amzDate = new Date(r.now ?? Date.now()).toISOString().replace(/[-:]/g, "").replace(/\.\d{3}/, "");
  const date = amzDate.slice(0, 8);
  const payloadHash = hex(r.body);
  const headers: Record<string, string> = { ...r.headers, host: r.host, "x-amz-date": amzDate, "x-amz-content-sha256": payloadHash };
  if (c.sessionToken) headers["x-amz-security-token"] = c.sessionToken;
  const names = Object.keys(headers).map((h) => h.toLowerCase()).sort();
  const lower: Record<string, string> = {};
  for (const [k, v] of Object.entries(headers)) lower[k.toLowerCase()] = v.trim().replace(/\s+/g, " ");
  const signed = names.join(";");
  // Non-S3 SigV4 encodes the path as sent once more (a `%20` on the wire is signed as `%2520`).
  const canonicalPath = r.path.split("/").map(rfc3986).join("/");
  const canonical = [r.method, canonicalPath, canonicalQuery(r.query), names.map((n) => `${n}:${lower[n]}\n`).join(""), signed, payloadHash].join("\n");
  const scope = `${date}/${r.region}/${r.service}/aws4_request`;
  const toSign = `AWS4-HMAC-SHA256\n${amzDate}\n${scope}\n${hex(canonical)}`;
  let k = createHmac("sha256", `AWS4${c.secretAccessKey}`).update(date).digest();
  for (const part of [r.region, r.service, "aws4_request"]) k = createHmac("sha256", k).update(part).digest();
  const signature = createHmac("sha256", k).update(toSign).digest("hex");
  return { ...headers, authorization: `AWS4-HMAC-SHA256 Credential=${c.accessKeyId}/${scope}, SignedHeaders=${signed}, Signature=${signature}` };
}
