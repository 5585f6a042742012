// Round trips: requests signed by the real AWS signers, sent over a socket, verified as received.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { GetSecretValueCommand, PutSecretValueCommand, SecretsManagerClient } from "@aws-sdk/client-secrets-manager";
import { signWithBotocore } from "./botocore-oracle.js";
import { CaptureServer, type Credentials, type HeaderList } from "./capture-server.js";
import { signWithSmithy } from "./smithy-oracle.js";
import { SigV4Verifier, type VerifiedRequest } from "./verify.js";

const T = Date.UTC(2026, 10, 22, 10, 10, 10);
const CREDS: Credentials = { accessKeyId: "AKIDEXAMPLE", secretAccessKey: "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY" };
const TOKEN = "FwoGZXIvYXdzEJr//////////wEaDOQ+session/token==";

function verifier(now: () => number = () => T + 4_000): SigV4Verifier<string> {
  return new SigV4Verifier({
    service: "secretsmanager",
    lookup: (id) => (id === CREDS.accessKeyId ? { secretAccessKey: CREDS.secretAccessKey, principal: "alice" } : undefined),
    now,
  });
}

interface Case {
  name: string;
  method: string;
  path: string;
  query?: [string, string][];
  headers?: HeaderList;
  body?: string;
  token?: boolean;
  region?: string;
}

const JSON_HEADERS: HeaderList = [["Content-Type", "application/x-amz-json-1.1"], ["X-Amz-Target", "secretsmanager.GetSecretValue"]];
const cases: Case[] = [
  { name: "GetSecretValue", method: "POST", path: "/", headers: JSON_HEADERS, body: '{"SecretId":"prod/db/password","VersionStage":"AWSCURRENT"}' },
  { name: "nested path", method: "GET", path: "/a/b/c" },
  { name: "percent-encoded path", method: "GET", path: "/a%20b/%E2%82%AC/c%2Fd" },
  { name: "dot segments and double slashes", method: "GET", path: "/a/./b/../c//d/" },
  { name: "reserved characters in path", method: "GET", path: "/~user/a-b_c.d/e+f/g:h@i!$&'()*,;=" },
  {
    name: "query: unsorted, repeated, spaces, plus, reserved, unicode, empty",
    method: "GET",
    path: "/q",
    query: [["b", "2"], ["a", "1"], ["a", "0"], ["sp", "a b"], ["plus", "a+b"], ["res", "/?#[]@!$&'()*+,;="], ["uni", "€ü"], ["empty", ""], ["tilde", "~x"]],
  },
  {
    name: "extra headers with runs of spaces and tabs",
    method: "POST",
    path: "/",
    headers: [...JSON_HEADERS, ["X-Custom", "  a   b \t c  "], ["X-Mixed-Case", "Value  With   Runs"]],
    body: "{}",
  },
  { name: "Host with mixed case and a port", method: "POST", path: "/", headers: [["Host", "KeyShift.Example:8443"], ...JSON_HEADERS], body: "{}" },
  { name: "empty body (GET)", method: "GET", path: "/" },
  { name: "empty body (POST)", method: "POST", path: "/", headers: JSON_HEADERS, body: "" },
  { name: "unicode body", method: "POST", path: "/", headers: JSON_HEADERS, body: '{"SecretId":"db","SecretString":"pässwörd €🔑 密码"}' },
  { name: "session token, other region", method: "POST", path: "/", headers: JSON_HEADERS, body: '{"SecretId":"db"}', token: true, region: "eu-central-1" },
];

function expected(c: Case): VerifiedRequest<string> {
  const region = c.region ?? "us-east-1";
  const v: VerifiedRequest<string> = { accessKeyId: CREDS.accessKeyId, region, service: "secretsmanager", signedAt: T, principal: "alice" };
  if (c.token) v.securityToken = TOKEN;
  return v;
}

let server: CaptureServer;
before(async () => {
  server = await CaptureServer.start();
});
after(() => server.close());

describe("requests signed by @smithy/signature-v4 (AWS SDK for JavaScript v3)", () => {
  for (const c of cases) {
    test(c.name, async () => {
      const headers: Record<string, string> = {};
      for (const [n, v] of c.headers ?? []) headers[n] = v;
      if (!Object.keys(headers).some((n) => n.toLowerCase() === "host")) headers.host = `127.0.0.1:${server.port}`;
      const query: Record<string, string | string[]> = {};
      for (const [k, v] of c.query ?? []) {
        const prev = query[k];
        query[k] = prev === undefined ? v : [...(Array.isArray(prev) ? prev : [prev]), v];
      }
      const signed = await signWithSmithy({
        method: c.method, hostname: "127.0.0.1", port: server.port, path: c.path, query, headers, body: c.body,
        credentials: c.token ? { ...CREDS, sessionToken: TOKEN } : CREDS, region: c.region ?? "us-east-1", service: "secretsmanager", signedAtMs: T,
      });
      const received = await server.send(c.method, signed.target, signed.headers, c.body);
      assert.deepEqual(verifier().verify(received), expected(c));
    });
  }
});

describe("requests signed by botocore (boto3, aws CLI)", () => {
  const dupHeaders: HeaderList = [["X-Dup", "one"], ["X-Dup", "  two   three "], ["x-dup", "four"]];
  const dupCase: Case = { name: "duplicate headers", method: "POST", path: "/", headers: [...JSON_HEADERS, ...dupHeaders], body: "{}" };
  const all = [...cases, dupCase];
  let signed: { target: string; headers: HeaderList }[] = [];
  before(() => {
    signed = signWithBotocore(all.map((c) => ({
      method: c.method, url: `http://127.0.0.1:${server.port}${c.path}`, params: c.query ?? [], headers: c.headers ?? [], body: c.body ?? "",
      credentials: c.token ? { ...CREDS, sessionToken: TOKEN } : CREDS, region: c.region ?? "us-east-1", service: "secretsmanager", signedAtMs: T,
    })));
  });
  for (const [i, c] of all.entries()) {
    test(c.name, async () => {
      const s = signed[i]!;
      // botocore leaves Host to the HTTP client, which derives it from the URL.
      const headers: HeaderList = s.headers.some(([n]) => n.toLowerCase() === "host") ? s.headers : [["Host", `127.0.0.1:${server.port}`], ...s.headers];
      const received = await server.send(c.method, s.target, headers, c.body);
      if (c === dupCase) assert.equal(received.rawHeaders.filter((n) => n.toLowerCase() === "x-dup").length, 3);
      assert.deepEqual(verifier().verify(received), expected(c));
    });
  }
});

describe("the real AWS SDK for JavaScript v3 client", () => {
  function client(credentials: Credentials): SecretsManagerClient {
    return new SecretsManagerClient({ endpoint: `http://127.0.0.1:${server.port}`, region: "us-west-2", credentials, maxAttempts: 1 });
  }

  test("GetSecretValue with a session token", async () => {
    const sm = client({ ...CREDS, sessionToken: TOKEN });
    await sm.send(new GetSecretValueCommand({ SecretId: "prod/db/password" }));
    sm.destroy();
    const got = verifier(Date.now).verify(server.last!);
    assert.equal(got.region, "us-west-2");
    assert.equal(got.securityToken, TOKEN);
    assert.equal(got.principal, "alice");
  });

  test("PutSecretValue with a unicode value", async () => {
    const sm = client(CREDS);
    await sm.send(new PutSecretValueCommand({ SecretId: "db", SecretString: "pässwörd €🔑", ClientRequestToken: "b7b8e2a8-0c4e-4a5e-9d8f-0123456789ab" }));
    sm.destroy();
    const got = verifier(Date.now).verify(server.last!);
    assert.equal(got.accessKeyId, CREDS.accessKeyId);
    assert.equal(got.securityToken, undefined);
  });
});
