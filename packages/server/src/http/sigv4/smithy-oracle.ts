/**
 * Test support: @smithy/signature-v4 (the signer inside the AWS SDK for JavaScript v3) as an
 * oracle for the verifier's tests. Not used by the server.
 */
import { Sha256 } from "@aws-crypto/sha256-js";
import { SignatureV4 } from "@smithy/signature-v4";
import type { Credentials, HeaderList } from "./capture-server.js";

/** One request to sign with @smithy/signature-v4, at a chosen time. */
export interface SmithyInput {
  method: string;
  hostname: string;
  port: number;
  path: string;
  query?: Record<string, string | string[]>;
  /** Must include `host`, as the SDK's middleware sets it. */
  headers: Record<string, string>;
  body?: string | Buffer;
  credentials: Credentials;
  region: string;
  service: string;
  signedAtMs: number;
  unsignableHeaders?: Set<string>;
}

/** Signs with @smithy/signature-v4; returns the request target to send and the signed headers. */
export async function signWithSmithy(input: SmithyInput): Promise<{ target: string; headers: HeaderList }> {
  const signer = new SignatureV4({ credentials: input.credentials, region: input.region, service: input.service, sha256: Sha256 });
  const signed = await signer.sign(
    {
      method: input.method,
      protocol: "http:",
      hostname: input.hostname,
      port: input.port,
      path: input.path,
      query: input.query ?? {},
      headers: { ...input.headers },
      body: input.body,
    },
    { signingDate: new Date(input.signedAtMs), ...(input.unsignableHeaders ? { unsignableHeaders: input.unsignableHeaders } : {}) },
  );
  return { target: input.path + smithyQueryString(input.query ?? {}), headers: Object.entries(signed.headers) };
}

/** The query string @smithy/node-http-handler would put on the wire (encodeURIComponent plus !'()*). */
export function smithyQueryString(query: Record<string, string | string[]>): string {
  const esc = (s: string) => encodeURIComponent(s).replace(/[!'()*]/g, (c) => "%" + c.charCodeAt(0).toString(16).toUpperCase());
  const parts: string[] = [];
  for (const [k, v] of Object.entries(query)) for (const one of Array.isArray(v) ? v : [v]) parts.push(`${esc(k)}=${esc(one)}`);
  return parts.length === 0 ? "" : "?" + parts.join("&");
}

/** @smithy/signature-v4's canonical path for a path as sent on the wire (its private getCanonicalPath). */
export function smithyCanonicalPath(path: string): string {
  const signer = new SignatureV4({ credentials: { accessKeyId: "a", secretAccessKey: "s" }, region: "r", service: "s", sha256: Sha256 });
  return (signer as unknown as { getCanonicalPath(r: { path: string }): string }).getCanonicalPath({ path });
}
