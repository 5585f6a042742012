// Rejections: every error the verifier can raise, tampering with each signed part, and the key cache.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { ServiceError, type ErrorCode } from "@keyshift/protocol";
import { signWithBotocore } from "./botocore-oracle.js";
import { CaptureServer, type Credentials, type HeaderList } from "./capture-server.js";
import { signWithSmithy } from "./smithy-oracle.js";
import { SigV4Verifier, type SignedRequest } from "./verify.js";

const T = Date.UTC(2026, 10, 22, 10, 10, 10);
const DAY = 86_400_000;
const CREDS: Credentials = { accessKeyId: "AKIDEXAMPLE", secretAccessKey: "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY" };
const BODY = '{"SecretId":"prod/db/password"}';
const MISMATCH =
  "The request signature we calculated does not match the signature you provided. " +
  "Check your AWS Secret Access Key and signing method. Consult the service documentation for details.";

let secret = CREDS.secretAccessKey;
function verifier(now = T + 4_000, cacheSize?: number): SigV4Verifier<string> {
  return new SigV4Verifier({
    service: "secretsmanager",
    lookup: (id) => (id === CREDS.accessKeyId ? { secretAccessKey: secret, principal: "alice" } : undefined),
    now: () => now,
    ...(cacheSize === undefined ? {} : { signingKeyCacheSize: cacheSize }),
  });
}

let server: CaptureServer;
before(async () => {
  server = await CaptureServer.start();
});
after(() => server.close());

interface SignOptions {
  at?: number;
  credentials?: Credentials;
  service?: string;
  headers?: Record<string, string>;
  unsignable?: string[];
  path?: string;
}

/** A GetSecretValue request signed by @smithy/signature-v4 (with x-amz-content-sha256), as received. */
async function signed(o: SignOptions = {}): Promise<SignedRequest> {
  const s = await signWithSmithy({
    method: "POST", hostname: "127.0.0.1", port: server.port, path: o.path ?? "/",
    headers: { host: `127.0.0.1:${server.port}`, "content-type": "application/x-amz-json-1.1", "x-amz-target": "secretsmanager.GetSecretValue", ...o.headers },
    body: BODY, credentials: o.credentials ?? CREDS, region: "us-east-1", service: o.service ?? "secretsmanager", signedAtMs: o.at ?? T,
    ...(o.unsignable ? { unsignableHeaders: new Set(o.unsignable) } : {}),
  });
  return server.send("POST", s.target, s.headers, BODY);
}

/** A copy of `req` with headers set (replacing every same-named one), removed or appended, and other fields replaced. */
interface Edit {
  set?: HeaderList;
  remove?: string[];
  append?: HeaderList;
  method?: string;
  url?: string;
  body?: string;
}

function edit(req: SignedRequest, e: Edit): SignedRequest {
  const drop = new Set([...(e.remove ?? []), ...(e.set ?? []).map(([n]) => n)].map((n) => n.toLowerCase()));
  const pairs: HeaderList = [];
  for (let i = 0; i < req.rawHeaders.length; i += 2) if (!drop.has(req.rawHeaders[i]!.toLowerCase())) pairs.push([req.rawHeaders[i]!, req.rawHeaders[i + 1]!]);
  pairs.push(...(e.set ?? []), ...(e.append ?? []));
  const headers: Record<string, string> = {};
  for (const [n, v] of pairs) headers[n.toLowerCase()] = headers[n.toLowerCase()] === undefined ? v : `${headers[n.toLowerCase()]}, ${v}`;
  const body = e.body === undefined ? req.body : Buffer.from(e.body);
  return { method: e.method ?? req.method, url: e.url ?? req.url, rawHeaders: pairs.flat(), headers, body };
}

function authWith(req: SignedRequest, rewrite: (auth: string) => string): SignedRequest {
  return edit(req, { set: [["Authorization", rewrite(String(req.headers.authorization))]] });
}

function rejects(v: SigV4Verifier<string>, req: SignedRequest, code: ErrorCode, message?: string): void {
  assert.throws(
    () => v.verify(req),
    (e) => {
      assert.ok(e instanceof ServiceError, String(e));
      assert.equal(e.code, code);
      if (message !== undefined) assert.equal(e.message, message);
      const sig = String(req.headers.authorization ?? "").split("Signature=")[1];
      if (sig) assert.ok(!e.message.includes(sig), "message echoes the signature");
      return true;
    },
  );
}

describe("malformed or missing authentication", () => {
  test("no Authorization header, or an empty one", async () => {
    const req = await signed();
    rejects(verifier(), edit(req, { remove: ["authorization"] }), "MissingAuthenticationTokenException", "Missing Authentication Token");
    rejects(verifier(), edit(req, { set: [["Authorization", ""]] }), "MissingAuthenticationTokenException", "Missing Authentication Token");
  });

  test("another scheme, missing parameters, missing date, bad credential shape, bad X-Amz-Date", async () => {
    const req = await signed();
    const need = (what: string) => `Authorization header requires ${what}.`;
    rejects(verifier(), edit(req, { set: [["Authorization", "Bearer abc"]] }), "IncompleteSignatureException",
      [need("'Credential' parameter"), need("'Signature' parameter"), need("'SignedHeaders' parameter")].join(" "));
    rejects(verifier(), authWith(req, (a) => a.replace(/, Signature=\w+/, "")), "IncompleteSignatureException", need("'Signature' parameter"));
    rejects(verifier(), edit(req, { remove: ["x-amz-date"] }), "IncompleteSignatureException",
      need("existence of either a 'X-Amz-Date' or a 'Date' header"));
    rejects(verifier(), authWith(req, (a) => a.replace("/aws4_request", "")), "IncompleteSignatureException");
    rejects(verifier(), edit(req, { set: [["X-Amz-Date", "2026-11-22T10:10:10Z"]] }), "IncompleteSignatureException",
      "Date must be in ISO-8601 'basic format'. Got '2026-11-22T10:10:10Z'. See http://en.wikipedia.org/wiki/ISO_8601");
  });

  test("host not among SignedHeaders", async () => {
    const req = await signed();
    rejects(verifier(), authWith(req, (a) => a.replace(/(SignedHeaders=.*?)host;/, "$1")), "IncompleteSignatureException",
      "'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization.");
  });
});

describe("credential scope, time and identity", () => {
  test("unknown access key", async () => {
    rejects(verifier(), await signed({ credentials: { accessKeyId: "AKIDUNKNOWN", secretAccessKey: "x" } }), "UnrecognizedClientException",
      "The security token included in the request is invalid.");
  });

  test("scoped to another service, or with another terminator", async () => {
    rejects(verifier(), await signed({ service: "kms" }), "InvalidSignatureException", "Credential should be scoped to correct service: 'secretsmanager'.");
    rejects(verifier(), authWith(await signed(), (a) => a.replace("aws4_request", "aws5_request")), "InvalidSignatureException",
      "Credential should be scoped with a valid terminator: 'aws4_request', not 'aws5_request'.");
  });

  test("scope date differs from X-Amz-Date, or from Date", async () => {
    rejects(verifier(), authWith(await signed(), (a) => a.replace("/20261122/", "/20261121/")), "InvalidSignatureException",
      "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '20261121' != '20261122', from 'X-Amz-Date'.");
    const viaDate = edit(await signed({ unsignable: ["x-amz-date"] }), { remove: ["x-amz-date"], set: [["Date", "Mon, 23 Nov 2026 00:00:01 GMT"]] });
    rejects(verifier(T + DAY), viaDate, "InvalidSignatureException",
      "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '20261122' != '20261123', from 'Date'.");
  });

  test("a Date header stands in for X-Amz-Date", async () => {
    const req = edit(await signed({ unsignable: ["x-amz-date"] }), { remove: ["x-amz-date"], set: [["Date", "Sun, 22 Nov 2026 10:10:10 GMT"]] });
    assert.equal(verifier().verify(req).signedAt, T);
  });

  test("clock skew: accepted at 15 minutes, rejected beyond", async () => {
    const req = await signed();
    const skew = 15 * 60_000;
    assert.equal(verifier(T + skew).verify(req).principal, "alice");
    assert.equal(verifier(T - skew).verify(req).principal, "alice");
    rejects(verifier(Date.UTC(2026, 10, 22, 10, 40, 0)), req, "InvalidSignatureException",
      "Signature expired: 20261122T101010Z is now earlier than 20261122T102500Z (20261122T104000Z - 15 min.)");
    rejects(verifier(T - skew - 1000), req, "InvalidSignatureException",
      "Signature not yet current: 20261122T101010Z is still later than 20261122T101009Z (20261122T095509Z + 15 min.)");
  });
});

describe("payload hash", () => {
  test("x-amz-content-sha256 that does not match the body, or UNSIGNED-PAYLOAD", async () => {
    const msg = "The provided 'x-amz-content-sha256' header does not match what was computed.";
    rejects(verifier(), edit(await signed(), { body: BODY.replace("prod", "test") }), "InvalidSignatureException", msg);
    rejects(verifier(), await signed({ headers: { "x-amz-content-sha256": "UNSIGNED-PAYLOAD" } }), "InvalidSignatureException", msg);
  });
});

describe("tampering with a signed part", () => {
  const tamperings: [string, (r: SignedRequest) => SignedRequest][] = [
    ["method", (r) => edit(r, { method: "PUT" })],
    ["path", (r) => edit(r, { url: "/other" })],
    ["query", (r) => edit(r, { url: "/?SecretId=x" })],
    ["a signed header", (r) => edit(r, { set: [["X-Amz-Target", "secretsmanager.DeleteSecret"]] })],
    ["a second copy of a signed header", (r) => edit(r, { append: [["X-Amz-Target", "secretsmanager.DeleteSecret"]] })],
    ["Host", (r) => edit(r, { set: [["Host", "evil.example"]] })],
    ["X-Amz-Date by one second", (r) => edit(r, { set: [["X-Amz-Date", "20261122T101011Z"]] })],
    ["region", (r) => authWith(r, (a) => a.replace("/us-east-1/", "/us-west-2/"))],
    ["SignedHeaders", (r) => authWith(r, (a) => a.replace(";x-amz-target", ""))],
    ["one signature digit", (r) => authWith(r, (a) => a.slice(0, -1) + (a.endsWith("0") ? "1" : "0"))],
    ["signature in upper case", (r) => authWith(r, (a) => a.replace(/Signature=(\w+)/, (_, s: string) => `Signature=${s.toUpperCase()}`))],
    ["signature truncated", (r) => authWith(r, (a) => a.slice(0, -2))],
    ["signature extended", (r) => authWith(r, (a) => a + "00")],
    ["signature with a non-hex digit", (r) => authWith(r, (a) => a.slice(0, -1) + "g")],
  ];
  for (const [what, tamper] of tamperings) {
    test(what, async () => {
      const req = await signed();
      assert.equal(verifier().verify(req).principal, "alice");
      rejects(verifier(), tamper(req), "InvalidSignatureException", MISMATCH);
    });
  }

  test("body, without x-amz-content-sha256 (botocore)", async () => {
    const [s] = signWithBotocore([
      { method: "POST", url: `http://127.0.0.1:${server.port}/`, body: BODY, credentials: CREDS, region: "us-east-1", service: "secretsmanager", signedAtMs: T },
    ]);
    const req = await server.send("POST", s!.target, [["Host", `127.0.0.1:${server.port}`], ...s!.headers], BODY);
    assert.equal(req.headers["x-amz-content-sha256"], undefined);
    assert.equal(verifier().verify(req).principal, "alice");
    rejects(verifier(), edit(req, { body: BODY.replace("prod", "test") }), "InvalidSignatureException", MISMATCH);
  });

  test("signed with the wrong secret key", async () => {
    rejects(verifier(), await signed({ credentials: { ...CREDS, secretAccessKey: CREDS.secretAccessKey + "x" } }), "InvalidSignatureException", MISMATCH);
  });

  test("unsigned extra headers do not matter", async () => {
    const req = edit(await signed(), { append: [["X-Forwarded-For", "10.0.0.1"], ["User-Agent", "a"], ["User-Agent", "b"], ["x-amz-meta-note", " x "]] });
    assert.equal(verifier().verify(req).principal, "alice");
  });
});

describe("signing key cache", () => {
  test("reused for the same day, re-derived for a new day, bounded", async () => {
    let now = T;
    const lookup = () => ({ secretAccessKey: CREDS.secretAccessKey, principal: "alice" });
    const v = new SigV4Verifier<string>({ service: "secretsmanager", lookup, now: () => now, signingKeyCacheSize: 1 });
    const day1 = await signed();
    v.verify(day1);
    v.verify(await signed({ at: T + 60_000 }));
    assert.deepEqual(v.signingKeyStats, { size: 1, derivations: 1 });
    now = T + DAY;
    v.verify(await signed({ at: T + DAY }));
    assert.deepEqual(v.signingKeyStats, { size: 1, derivations: 2 });
    now = T;
    v.verify(day1);
    assert.deepEqual(v.signingKeyStats, { size: 1, derivations: 3 });
  });

  test("follows a rotated secret", async () => {
    const v = verifier();
    const old = await signed();
    v.verify(old);
    secret = "rotated-secret";
    try {
      rejects(v, old, "InvalidSignatureException", MISMATCH);
      assert.equal(v.verify(await signed({ credentials: { ...CREDS, secretAccessKey: secret } })).principal, "alice");
    } finally {
      secret = CREDS.secretAccessKey;
    }
  });
});
