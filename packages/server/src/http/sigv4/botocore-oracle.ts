/**
 * Test support: botocore's SigV4Auth (boto3, the aws CLI) as an oracle for the verifier's tests,
 * run in one python3 process per batch. Not used by the server.
 */
import { execFileSync } from "node:child_process";
import type { Credentials, HeaderList } from "./capture-server.js";

/** One request to sign with botocore, at a chosen time. */
export interface BotocoreInput {
  method: string;
  /** Full URL, e.g. `http://127.0.0.1:8080/path?raw=query`. */
  url: string;
  /** Query parameters botocore encodes itself (form encoding on the wire, RFC 3986 when signing). */
  params?: [string, string][];
  /** Repeated names are kept as separate headers. */
  headers?: HeaderList;
  body?: string;
  credentials: Credentials;
  region: string;
  service: string;
  signedAtMs: number;
}

const BOTOCORE_SIGNER = `
import sys, json, base64, datetime
from urllib.parse import urlsplit
import botocore.auth as auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
out = []
for r in json.load(sys.stdin):
    ts = datetime.datetime.fromtimestamp(r["signedAtMs"] / 1000, datetime.timezone.utc).replace(tzinfo=None)
    auth.get_current_datetime = lambda ts=ts: ts
    params = [tuple(p) for p in r.get("params") or []]
    req = AWSRequest(method=r["method"], url=r["url"], data=base64.b64decode(r["body"]), params=params)
    for name, value in r.get("headers") or []:
        req.headers[name] = value  # email.message semantics: appends, so duplicates survive
    c = r["credentials"]
    auth.SigV4Auth(Credentials(c["accessKeyId"], c["secretAccessKey"], c.get("sessionToken")), r["service"], r["region"]).add_auth(req)
    parts = urlsplit(req.prepare().url)
    out.append({"target": parts.path + ("?" + parts.query if parts.query else ""), "headers": list(req.headers.items())})
print(json.dumps(out))
`;

/** Signs a batch with botocore's SigV4Auth; Host is left to the sender, as urllib3 does. */
export function signWithBotocore(inputs: BotocoreInput[]): { target: string; headers: HeaderList }[] {
  const payload = inputs.map((i) => ({ ...i, body: Buffer.from(i.body ?? "", "utf8").toString("base64") }));
  const out = execFileSync("python3", ["-c", BOTOCORE_SIGNER], { input: JSON.stringify(payload), encoding: "utf8" });
  return JSON.parse(out) as { target: string; headers: HeaderList }[];
}

const BOTOCORE_PIECES = `
import sys, json
from urllib.parse import urlencode
import botocore.auth as auth
a = auth.SigV4Auth(None, "secretsmanager", "us-east-1")
q = json.load(sys.stdin)
print(json.dumps({
    "paths": [a._normalize_url_path(p) for p in q["paths"]],
    "queries": [
        {"wire": urlencode([tuple(p) for p in ps], doseq=True), "canonical": a._canonical_query_string_params([tuple(p) for p in ps])}
        for ps in q["queries"]
    ],
    "headerValues": [a._header_value(v) for v in q["headerValues"]],
}))
`;

/** What botocore makes of each piece: canonical paths, query strings (wire form and canonical), trimmed header values. */
export interface BotocorePieces {
  paths: string[];
  queries: { wire: string; canonical: string }[];
  headerValues: string[];
}

/** Runs botocore's own canonicalisation steps on each input, in one python3 process. */
export function botocoreCanonicalPieces(input: { paths?: string[]; queries?: [string, string][][]; headerValues?: string[] }): BotocorePieces {
  const payload = { paths: input.paths ?? [], queries: input.queries ?? [], headerValues: input.headerValues ?? [] };
  return JSON.parse(execFileSync("python3", ["-c", BOTOCORE_PIECES], { input: JSON.stringify(payload), encoding: "utf8" })) as BotocorePieces;
}
