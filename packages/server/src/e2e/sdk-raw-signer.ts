/**
 * Test support: sends raw AWS JSON 1.1 requests to a Keyshift endpoint, signed with
 * @smithy/signature-v4 (the SDK's own signer) over node:http, so that tests can send bodies,
 * headers and methods the SDK would never produce. Not a test file.
 */
import { Agent, request } from "node:http";
import { Sha256 } from "@aws-crypto/sha256-js";
import { SignatureV4 } from "@smithy/signature-v4";
import { TEST_KEY_ID, TEST_REGION, TEST_SECRET } from "../testing/harness.js";

export interface RawRequest {
  /** Operation name (sent as `secretsmanager.<op>`), or null to send no X-Amz-Target. */
  op?: string | null;
  /** Full X-Amz-Target value, overriding `op`. */
  target?: string;
  /** A body that is not a string or Buffer is JSON.stringify-ed. */
  body?: unknown;
  method?: string;
  path?: string;
  /** Extra headers (signed along with the others when signing). */
  headers?: Record<string, string>;
  /** false: send without an Authorization header. */
  sign?: boolean;
  key?: string;
  secret?: string;
  region?: string;
  service?: string;
  /** Signing time in epoch ms (default: now). */
  signedAt?: number;
  /** Send the body with Transfer-Encoding: chunked instead of Content-Length. */
  chunked?: boolean;
  /** Content-Length to declare instead of the body's length (the body is still sent as is). */
  declaredLength?: number;
  timeoutMs?: number;
  agent?: Agent;
}

export interface RawResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
  /** The body parsed as JSON, or undefined when it is not JSON. */
  json: any;
}

export class RequestTimeout extends Error {}

function bodyBytes(body: unknown): Buffer {
  if (body === undefined) return Buffer.alloc(0);
  if (Buffer.isBuffer(body)) return body;
  if (typeof body === "string") return Buffer.from(body, "utf8");
  return Buffer.from(JSON.stringify(body), "utf8");
}

/** Signs `r` for `endpoint` and returns the headers to send and the body bytes. */
export async function signRaw(endpoint: string, r: RawRequest): Promise<{ headers: Record<string, string>; body: Buffer }> {
  const url = new URL(endpoint);
  const body = bodyBytes(r.body);
  const headers: Record<string, string> = {
    host: url.host,
    "content-type": "application/x-amz-json-1.1",
    ...(r.target !== undefined ? { "x-amz-target": r.target } : r.op === null ? {} : { "x-amz-target": `secretsmanager.${r.op ?? "ListSecrets"}` }),
    ...r.headers,
  };
  if (r.sign === false) return { headers, body };
  const signer = new SignatureV4({
    credentials: { accessKeyId: r.key ?? TEST_KEY_ID, secretAccessKey: r.secret ?? TEST_SECRET },
    region: r.region ?? TEST_REGION,
    service: r.service ?? "secretsmanager",
    sha256: Sha256,
  });
  const signed = await signer.sign(
    {
      method: r.method ?? "POST",
      protocol: url.protocol,
      hostname: url.hostname,
      port: Number(url.port),
      path: r.path ?? "/",
      query: {},
      headers,
      body,
    },
    { signingDate: new Date(r.signedAt ?? Date.now()) },
  );
  return { headers: signed.headers as Record<string, string>, body };
}

/** Sends one raw request and reads the whole answer. Rejects with RequestTimeout after `timeoutMs` (default 15 s). */
export async function sendRaw(endpoint: string, r: RawRequest): Promise<RawResponse> {
  const { headers, body } = await signRaw(endpoint, r);
  const url = new URL(endpoint);
  const sendHeaders: Record<string, string> = { ...headers };
  if (r.chunked) sendHeaders["transfer-encoding"] = "chunked";
  else sendHeaders["content-length"] = String(r.declaredLength ?? body.length);
  const timeoutMs = r.timeoutMs ?? 15_000;
  return new Promise<RawResponse>((resolve, reject) => {
    let settled = false;
    const done = (f: () => void) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      f();
    };
    const req = request({
      host: url.hostname,
      port: Number(url.port),
      method: r.method ?? "POST",
      path: r.path ?? "/",
      headers: sendHeaders,
      agent: r.agent ?? false,
    });
    const timer = setTimeout(() => {
      done(() => reject(new RequestTimeout(`no answer within ${timeoutMs} ms`)));
      req.destroy();
    }, timeoutMs);
    req.on("response", (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      const finish = () => {
        const text = Buffer.concat(chunks).toString("utf8");
        let json: unknown;
        try {
          json = JSON.parse(text);
        } catch {
          json = undefined;
        }
        done(() => resolve({ status: res.statusCode ?? 0, headers: res.headers, text, json }));
      };
      res.on("end", finish);
      // The server may close the connection right after answering (413): what was read is the answer.
      res.on("error", finish);
      res.on("aborted", finish);
    });
    req.on("error", (e) => done(() => reject(e)));
    if (r.chunked) {
      // Several chunks, so that the size limit is crossed while reading, not from a header.
      const step = 64 * 1024;
      let i = 0;
      const pump = () => {
        while (i < body.length) {
          const part = body.subarray(i, i + step);
          i += step;
          if (!req.write(part)) {
            req.once("drain", pump);
            return;
          }
        }
        req.end();
      };
      req.on("error", () => {});
      pump();
    } else {
      req.end(body);
    }
  });
}
