/**
 * Bad input, one row per class, sent as raw signed requests (sdk-raw-signer.ts) so that the body,
 * the headers and the method can be anything. Every row checks the exact HTTP status, `__type`
 * and, where AWS's wording is known, the message; that the answer never echoes a secret value
 * (every SecretString below carries MARKER); and that nothing was stored: after each row the
 * account's whole state (secrets, metadata, versions, labels, values, policies) must equal the
 * state before it. Rows that AWS accepts (the size boundaries) create a fresh secret, check it,
 * and force-delete it, so that the same comparison applies.
 */
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { startTestServer, type TestServer } from "../testing/harness.js";
import { sendRaw, type RawRequest, type RawResponse } from "./sdk-raw-signer.js";

const MARKER = "MARKER-7f3c9a-do-not-echo";
const MIB = 1024 * 1024;
const INVALID_NAME = "Invalid name. Must be a valid name containing alphanumeric characters, or any of the following: -/_+=.@!";
/** The invalid names AWS was recorded refusing (ground truth test_invalid_secret_name). */
const INVALID_NAMES = ["Inv Name", " Inv Name", " Inv*Name? ", " Inv *?!]Name\\-"];
const POLICY = JSON.stringify({ Version: "2012-10-17", Statement: [{ Effect: "Deny", Principal: { AWS: "arn:aws:iam::111122223333:root" }, Action: "secretsmanager:DeleteSecret", Resource: "*" }] });
const LAMBDA = "arn:aws:lambda:us-east-1:111122223333:function:rotator";
const MISSING_TOKEN = "You must provide a ClientRequestToken value. We recommend a UUID-type value.";
const WINDOW = "The RecoveryWindowInDays value must be between 7 and 30 days (inclusive).";
const tok = () => randomUUID();

interface Row {
  name: string;
  req: RawRequest;
  status: number;
  type?: string;
  message?: string | RegExp;
  /** Runs before the request (its effects must be undone by `creates`). */
  setup?: () => Promise<void>;
  /** For a 200 row: the name of the secret it creates (checked, then force-deleted). */
  creates?: string;
  check?: (r: RawResponse) => Promise<void> | void;
}

let s: TestServer;
const call = (r: RawRequest) => sendRaw(s.endpoint, r);
async function ok(op: string, body: unknown): Promise<any> {
  const r = await call({ op, body });
  assert.equal(r.status, 200, `${op} ${JSON.stringify(body).slice(0, 200)} -> ${r.status} ${r.text.slice(0, 300)}`);
  return r.json;
}

/** Everything a client can observe about the account in us-east-1, values included. */
async function snapshot(): Promise<unknown> {
  const secrets: unknown[] = [];
  let NextToken: string | undefined;
  do {
    const page = await ok("ListSecrets", { IncludePlannedDeletion: true, MaxResults: 100, ...(NextToken ? { NextToken } : {}) });
    for (const e of page.SecretList) {
      const d = await ok("DescribeSecret", { SecretId: e.ARN });
      const versions = await ok("ListSecretVersionIds", { SecretId: e.ARN, IncludeDeprecated: true });
      const values: unknown[] = [];
      if (d.DeletedDate === undefined) {
        for (const v of versions.Versions) {
          const got = await ok("GetSecretValue", { SecretId: e.ARN, VersionId: v.VersionId });
          values.push([v.VersionId, got.SecretString ?? null, got.SecretBinary ?? null, [...got.VersionStages].sort()]);
        }
      }
      const policy = await ok("GetResourcePolicy", { SecretId: e.ARN });
      // LastAccessedDate is dropped: the snapshot itself reads every value.
      const { LastAccessedDate: _a, ...meta } = d;
      secrets.push({ meta, versions: versions.Versions.map(({ LastAccessedDate: _b, ...v }: Record<string, unknown>) => v), values, policy: policy.ResourcePolicy ?? null });
    }
    NextToken = page.NextToken;
  } while (NextToken);
  return secrets;
}

let baseline: unknown;
before(async () => {
  s = await startTestServer();
  await ok("CreateSecret", { Name: "seeded", SecretString: "seed-1", ClientRequestToken: tok(), Description: "seeded", Tags: [{ Key: "k", Value: "v" }] });
  await ok("PutSecretValue", { SecretId: "seeded", SecretString: "seed-2", ClientRequestToken: tok() });
  await ok("PutSecretValue", { SecretId: "seeded", SecretString: "seed-3", ClientRequestToken: tok(), VersionStages: ["CUSTOM"] });
  await ok("PutResourcePolicy", { SecretId: "seeded", ResourcePolicy: POLICY });
  await ok("CreateSecret", { Name: "seeded-bin", SecretBinary: Buffer.from([0, 1, 2, 255]).toString("base64"), ClientRequestToken: tok() });
  await ok("CreateSecret", { Name: "seeded-deleted", SecretString: "gone soon", ClientRequestToken: tok() });
  await ok("DeleteSecret", { SecretId: "seeded-deleted", RecoveryWindowInDays: 7 });
  baseline = await snapshot();
});
after(async () => s?.close());

async function runRow(row: Row): Promise<void> {
  let failure: unknown;
  try {
    await row.setup?.();
    const r = await call(row.req);
    const show = `${r.status} ${r.text.slice(0, 400)}`;
    assert.equal(r.status, row.status, `status: ${show}`);
    assert.ok(!r.text.includes(MARKER), `the answer echoes the secret value: ${show}`);
    assert.ok(!r.text.includes(Buffer.from(MARKER).toString("base64").slice(0, 20)), `the answer echoes a binary value: ${show}`);
    if (row.status !== 200) {
      assert.ok(r.json && typeof r.json === "object", `JSON body: ${show}`);
      assert.equal(r.json.__type, row.type, `__type: ${show}`);
      assert.equal(r.headers["x-amzn-errortype"], row.type, "x-amzn-ErrorType header");
      assert.equal(typeof r.json.Message, "string");
      if (typeof row.message === "string") assert.equal(r.json.Message, row.message);
      else if (row.message) assert.match(r.json.Message, row.message);
    }
    await row.check?.(r);
    if (row.creates) {
      await ok("DescribeSecret", { SecretId: row.creates });
      await ok("DeleteSecret", { SecretId: row.creates, ForceDeleteWithoutRecovery: true });
    }
  } catch (e) {
    failure = e;
  }
  const now = await snapshot();
  try {
    assert.deepEqual(now, baseline, "the account changed: something was stored");
  } catch (e) {
    failure ??= e;
    // Keep the other rows meaningful: drop what this row stored and compare them with what is left.
    const known = new Set((baseline as { meta: { ARN: string } }[]).map((x) => x.meta.ARN));
    for (const x of now as { meta: { ARN: string } }[]) {
      if (!known.has(x.meta.ARN)) await ok("DeleteSecret", { SecretId: x.meta.ARN, ForceDeleteWithoutRecovery: true });
    }
    baseline = await snapshot();
  }
  if (failure) throw failure;
}

function table(title: string, rows: Row[]): void {
  describe(title, () => {
    for (const row of rows) test(row.name, () => runRow(row));
  });
}

const validation1 = (path: string, constraint: string, value?: string) =>
  `1 validation error detected: ${value === undefined ? "Value null" : `Value '${value}'`} at '${path}' failed to satisfy constraint: ${constraint}`;

table("malformed bodies", [
  { name: "malformed JSON", req: { op: "CreateSecret", body: `{"Name":"bad-json","SecretString":"${MARKER}","ClientRequestToken":"${tok()}"` }, status: 400, type: "SerializationException" },
  { name: "trailing garbage after the object", req: { op: "CreateSecret", body: `{"Name":"bad-json2","SecretString":"${MARKER}","ClientRequestToken":"${tok()}"} x` }, status: 400, type: "SerializationException" },
  { name: "top-level array", req: { op: "CreateSecret", body: `[{"Name":"bad-array","SecretString":"${MARKER}","ClientRequestToken":"${tok()}"}]` }, status: 400, type: "SerializationException" },
  { name: "top-level string", req: { op: "ListSecrets", body: `"${MARKER}"` }, status: 400, type: "SerializationException" },
  { name: "top-level number", req: { op: "ListSecrets", body: "42" }, status: 400, type: "SerializationException" },
  { name: "top-level null", req: { op: "ListSecrets", body: "null" }, status: 400, type: "SerializationException" },
  { name: "not UTF-8 JSON at all", req: { op: "ListSecrets", body: Buffer.from([0xff, 0xfe, 0x7b, 0x00, 0x7d, 0x00]) }, status: 400, type: "SerializationException" },
  { name: "duplicate key at the top", req: { op: "CreateSecret", body: `{"Name":"bad-dup","Name":"bad-dup2","SecretString":"${MARKER}","ClientRequestToken":"${tok()}"}` }, status: 400, type: "SerializationException" },
  { name: "duplicate key spelled with an escape", req: { op: "CreateSecret", body: `{"Name":"bad-dup3","\\u004eame":"bad-dup4","SecretString":"${MARKER}","ClientRequestToken":"${tok()}"}` }, status: 400, type: "SerializationException" },
  { name: "duplicate key inside a tag", req: { op: "TagResource", body: `{"SecretId":"seeded","Tags":[{"Key":"a","Key":"b","Value":"c"}]}` }, status: 400, type: "SerializationException" },
  { name: "duplicate SecretString (which value would win?)", req: { op: "PutSecretValue", body: `{"SecretId":"seeded","SecretString":"${MARKER}","SecretString":"${MARKER}2","ClientRequestToken":"${tok()}"}` }, status: 400, type: "SerializationException" },
]);

table("wrong JSON types", [
  { name: "string for a boolean (ForceDeleteWithoutRecovery)", req: { op: "DeleteSecret", body: { SecretId: "seeded", ForceDeleteWithoutRecovery: "true" } }, status: 400, type: "SerializationException" },
  { name: "string for a boolean (IncludePlannedDeletion)", req: { op: "ListSecrets", body: { IncludePlannedDeletion: "true" } }, status: 400, type: "SerializationException" },
  { name: "number for a string (Name)", req: { op: "CreateSecret", body: { Name: 42, SecretString: MARKER, ClientRequestToken: tok() } }, status: 400, type: "SerializationException" },
  { name: "number for a string (SecretId)", req: { op: "GetSecretValue", body: { SecretId: 42 } }, status: 400, type: "SerializationException" },
  { name: "object for a string (SecretString)", req: { op: "PutSecretValue", body: { SecretId: "seeded", SecretString: { v: MARKER }, ClientRequestToken: tok() } }, status: 400, type: "SerializationException" },
  { name: "array for a string (SecretString)", req: { op: "PutSecretValue", body: { SecretId: "seeded", SecretString: [MARKER], ClientRequestToken: tok() } }, status: 400, type: "SerializationException" },
  { name: "object for a list (Tags)", req: { op: "TagResource", body: { SecretId: "seeded", Tags: { Key: "a", Value: "b" } } }, status: 400, type: "SerializationException" },
  { name: "object for a list (VersionStages)", req: { op: "PutSecretValue", body: { SecretId: "seeded", SecretString: MARKER, ClientRequestToken: tok(), VersionStages: { AWSCURRENT: true } } }, status: 400, type: "SerializationException" },
  { name: "string for an integer (MaxResults)", req: { op: "ListSecrets", body: { MaxResults: "10" } }, status: 400, type: "SerializationException" },
  { name: "float for an integer (RecoveryWindowInDays)", req: { op: "DeleteSecret", body: { SecretId: "seeded", RecoveryWindowInDays: 7.5 } }, status: 400, type: "SerializationException" },
  { name: "null list member (TagKeys)", req: { op: "UntagResource", body: { SecretId: "seeded", TagKeys: [null] } }, status: 400, type: "SerializationException" },
  { name: "string for a structure (RotationRules)", req: { op: "RotateSecret", body: { SecretId: "seeded", ClientRequestToken: tok(), RotationRules: "rate(1 day)" } }, status: 400, type: "SerializationException" },
  { name: "SecretBinary that is not base64", req: { op: "PutSecretValue", body: { SecretId: "seeded", SecretBinary: `!!${MARKER}!!`, ClientRequestToken: tok() } }, status: 400, type: "SerializationException" },
  { name: "number for a blob (SecretBinary)", req: { op: "PutSecretValue", body: { SecretId: "seeded", SecretBinary: 12345, ClientRequestToken: tok() } }, status: 400, type: "SerializationException" },
]);

table("operation selection", [
  { name: "unknown operation", req: { target: "secretsmanager.DoesNotExist", body: {} }, status: 400, type: "UnknownOperationException" },
  { name: "missing X-Amz-Target", req: { op: null, body: { Name: "bad-no-target", SecretString: MARKER, ClientRequestToken: tok() } }, status: 400, type: "UnknownOperationException" },
  { name: "another service's target", req: { target: "kms.ListKeys", body: {} }, status: 400, type: "UnknownOperationException" },
  { name: "target of a different case", req: { target: "secretsmanager.listsecrets", body: {} }, status: 400, type: "UnknownOperationException" },
  { name: "target naming an Object.prototype member", req: { target: "secretsmanager.constructor", body: {} }, status: 400, type: "UnknownOperationException" },
  { name: "target naming __proto__", req: { target: "secretsmanager.__proto__", body: {} }, status: 400, type: "UnknownOperationException" },
  { name: "GET instead of POST", req: { op: "ListSecrets", method: "GET" }, status: 405, type: "MethodNotAllowedException" },
  { name: "PUT instead of POST", req: { op: "CreateSecret", method: "PUT", body: { Name: "bad-put", SecretString: MARKER, ClientRequestToken: tok() } }, status: 405, type: "MethodNotAllowedException" },
]);

table("authentication", [
  { name: "missing Authorization", req: { op: "CreateSecret", body: { Name: "bad-unsigned", SecretString: MARKER, ClientRequestToken: tok() }, sign: false }, status: 400, type: "MissingAuthenticationTokenException", message: "Missing Authentication Token" },
  {
    name: "expired signature (20 minutes old)",
    req: { op: "CreateSecret", body: { Name: "bad-expired", SecretString: MARKER, ClientRequestToken: tok() }, signedAt: Date.now() - 20 * 60_000 },
    status: 400,
    type: "InvalidSignatureException",
    message: /^Signature expired: \d{8}T\d{6}Z is now earlier than \d{8}T\d{6}Z \(\d{8}T\d{6}Z - 15 min\.\)$/,
  },
  {
    name: "signature from the future (20 minutes ahead)",
    req: { op: "CreateSecret", body: { Name: "bad-future", SecretString: MARKER, ClientRequestToken: tok() }, signedAt: Date.now() + 20 * 60_000 },
    status: 400,
    type: "InvalidSignatureException",
    message: /^Signature not yet current: /,
  },
  { name: "wrong secret access key", req: { op: "CreateSecret", body: { Name: "bad-wrong-key", SecretString: MARKER, ClientRequestToken: tok() }, secret: "x".repeat(40) }, status: 400, type: "InvalidSignatureException" },
  { name: "unknown access key", req: { op: "ListSecrets", body: {}, key: "KSAKNOSUCHKEY0000001" }, status: 400, type: "UnrecognizedClientException", message: "The security token included in the request is invalid." },
  { name: "signed for another service", req: { op: "ListSecrets", body: {}, service: "kms" }, status: 400, type: "InvalidSignatureException", message: "Credential should be scoped to correct service: 'secretsmanager'." },
  {
    name: "body changed after signing (declared hash no longer matches)",
    req: { op: "PutSecretValue", body: { SecretId: "seeded", SecretString: MARKER, ClientRequestToken: tok() }, headers: { "x-amz-content-sha256": "0".repeat(64) } },
    status: 400,
    type: "InvalidSignatureException",
  },
]);

table("missing and multiple model violations", [
  { name: "missing SecretId", req: { op: "GetSecretValue", body: {} }, status: 400, type: "ValidationException", message: validation1("secretId", "Member must not be null") },
  { name: "explicit null SecretId", req: { op: "GetSecretValue", body: { SecretId: null } }, status: 400, type: "ValidationException", message: validation1("secretId", "Member must not be null") },
  { name: "missing Name", req: { op: "CreateSecret", body: { SecretString: MARKER, ClientRequestToken: tok() } }, status: 400, type: "ValidationException", message: validation1("name", "Member must not be null") },
  { name: "missing ResourcePolicy", req: { op: "PutResourcePolicy", body: { SecretId: "seeded" } }, status: 400, type: "ValidationException", message: validation1("resourcePolicy", "Member must not be null") },
  { name: "missing VersionStage", req: { op: "UpdateSecretVersionStage", body: { SecretId: "seeded" } }, status: 400, type: "ValidationException", message: validation1("versionStage", "Member must not be null") },
  {
    name: "two violations: missing SecretId and a short VersionId",
    req: { op: "GetSecretValue", body: { VersionId: "short" } },
    status: 400,
    type: "ValidationException",
    message:
      "2 validation errors detected: Value null at 'secretId' failed to satisfy constraint: Member must not be null; " +
      "Value 'short' at 'versionId' failed to satisfy constraint: Member must have length greater than or equal to 32",
  },
  {
    name: "two violations: MaxResults 0 and a SortOrder outside the enum",
    req: { op: "ListSecrets", body: { MaxResults: 0, SortOrder: "up" } },
    status: 400,
    type: "ValidationException",
    message:
      "2 validation errors detected: Value '0' at 'maxResults' failed to satisfy constraint: Member must have value greater than or equal to 1; " +
      "Value 'up' at 'sortOrder' failed to satisfy constraint: Member must satisfy enum value set: [asc, desc]",
  },
  {
    name: "three violations on PutSecretValue, the value not echoed",
    req: { op: "PutSecretValue", body: { SecretId: "", SecretString: MARKER, ClientRequestToken: "short", VersionStages: [] } },
    status: 400,
    type: "ValidationException",
    message: /^3 validation errors detected: .*'secretId'.*'clientRequestToken'.*'versionStages'/,
  },
  {
    name: "no token on CreateSecret with a value (ground truth, raw request)",
    req: { op: "CreateSecret", body: { Name: "bad-no-token", SecretString: MARKER } },
    status: 400,
    type: "InvalidRequestException",
    message: MISSING_TOKEN,
  },
  { name: "no token on PutSecretValue (ground truth)", req: { op: "PutSecretValue", body: { SecretId: "seeded", SecretString: MARKER } }, status: 400, type: "InvalidRequestException", message: MISSING_TOKEN },
  { name: "no token on UpdateSecret with a value (ground truth)", req: { op: "UpdateSecret", body: { SecretId: "seeded", SecretString: MARKER } }, status: 400, type: "InvalidRequestException", message: MISSING_TOKEN },
  { name: "no token on RotateSecret (ground truth: InvalidParameterException)", req: { op: "RotateSecret", body: { SecretId: "seeded", RotationLambdaARN: LAMBDA } }, status: 400, type: "InvalidParameterException", message: MISSING_TOKEN },
]);

const big = (n: number, unit = "a") => unit.repeat(n);
const bytes64k = (extra: number) => MARKER + big(65_536 - Buffer.byteLength(MARKER) + extra);

table("sizes", [
  {
    name: "body over 1 MiB by Content-Length is 413",
    req: { op: "CreateSecret", body: { Name: "bad-huge", SecretString: MARKER + big(MIB), ClientRequestToken: tok() } },
    status: 413,
    type: "RequestEntityTooLargeException",
  },
  {
    name: "body over 1 MiB by chunked transfer is 413",
    req: { op: "CreateSecret", body: { Name: "bad-huge-chunked", SecretString: MARKER + big(MIB), ClientRequestToken: tok() }, chunked: true },
    status: 413,
    type: "RequestEntityTooLargeException",
  },
  {
    name: "a Content-Length over 1 MiB is refused before the body is read",
    req: { op: "CreateSecret", body: { Name: "bad-declared", SecretString: MARKER, ClientRequestToken: tok() }, declaredLength: 2 * MIB, timeoutMs: 5000 },
    status: 413,
    type: "RequestEntityTooLargeException",
  },
  {
    name: "a body of exactly 1 MiB is read, then refused by validation",
    req: (() => {
      const head = `{"Name":"bad-exact-mib","ClientRequestToken":"${tok()}","SecretString":"${MARKER}`;
      const tail = `"}`;
      return { op: "CreateSecret", body: head + big(MIB - head.length - tail.length) + tail };
    })(),
    status: 400,
    type: "ValidationException",
    message: /at 'secretString' failed to satisfy constraint: Member must have length less than or equal to 65536$/,
    check: (r) => assert.ok(r.text.length < 1000, "a short message"),
  },
  { name: "SecretString of 65,536 bytes is accepted", req: { op: "CreateSecret", body: { Name: "ok-64k", SecretString: bytes64k(0), ClientRequestToken: tok() } }, status: 200, creates: "ok-64k", check: async () => {
    const v = await ok("GetSecretValue", { SecretId: "ok-64k" });
    assert.equal(Buffer.byteLength(v.SecretString), 65_536);
  } },
  {
    name: "SecretString of 65,537 bytes is refused",
    req: { op: "CreateSecret", body: { Name: "bad-64k", SecretString: bytes64k(1), ClientRequestToken: tok() } },
    status: 400,
    type: "ValidationException",
    message: /^1 validation error detected: .*at 'secretString' failed to satisfy constraint: Member must have length less than or equal to 65536$/,
  },
  {
    name: "SecretString of 65,537 bytes on PutSecretValue is refused",
    req: { op: "PutSecretValue", body: { SecretId: "seeded", SecretString: bytes64k(1), ClientRequestToken: tok() } },
    status: 400,
    type: "ValidationException",
    message: /at 'secretString'/,
  },
  {
    name: "multi-byte SecretString of 65,536 bytes (32,768 two-byte chars) is accepted",
    req: { op: "CreateSecret", body: { Name: "ok-64k-utf8", SecretString: big(32_768, "é"), ClientRequestToken: tok() } },
    status: 200,
    creates: "ok-64k-utf8",
    check: async () => assert.equal((await ok("GetSecretValue", { SecretId: "ok-64k-utf8" })).SecretString, big(32_768, "é")),
  },
  {
    name: "multi-byte SecretString: 32,769 chars but 65,538 bytes is refused",
    req: { op: "CreateSecret", body: { Name: "bad-64k-utf8", SecretString: big(32_769, "é"), ClientRequestToken: tok() } },
    status: 400,
    type: "ValidationException",
    message: /at 'secretString'/,
  },
  {
    name: "multi-byte SecretString: 21,846 three-byte chars (65,538 bytes) is refused",
    req: { op: "CreateSecret", body: { Name: "bad-64k-euro", SecretString: big(21_846, "€"), ClientRequestToken: tok() } },
    status: 400,
    type: "ValidationException",
    message: /at 'secretString'/,
  },
  {
    name: "four-byte chars: 16,384 emoji (65,536 bytes) accepted",
    req: { op: "CreateSecret", body: { Name: "ok-64k-emoji", SecretString: big(16_384, "🔑"), ClientRequestToken: tok() } },
    status: 200,
    creates: "ok-64k-emoji",
  },
  {
    name: "four-byte chars: 16,384 emoji and one more byte refused",
    req: { op: "CreateSecret", body: { Name: "bad-64k-emoji", SecretString: big(16_384, "🔑") + "a", ClientRequestToken: tok() } },
    status: 400,
    type: "ValidationException",
    message: /at 'secretString'/,
  },
  {
    name: "SecretBinary of 65,536 bytes is accepted",
    req: { op: "CreateSecret", body: { Name: "ok-64k-bin", SecretBinary: Buffer.alloc(65_536, 0xff).toString("base64"), ClientRequestToken: tok() } },
    status: 200,
    creates: "ok-64k-bin",
    check: async () => assert.equal(Buffer.from((await ok("GetSecretValue", { SecretId: "ok-64k-bin" })).SecretBinary, "base64").length, 65_536),
  },
  {
    name: "SecretBinary of 65,537 bytes is refused",
    req: { op: "CreateSecret", body: { Name: "bad-64k-bin", SecretBinary: Buffer.concat([Buffer.from(MARKER), Buffer.alloc(65_537 - MARKER.length)]).toString("base64"), ClientRequestToken: tok() } },
    status: 400,
    type: "ValidationException",
    message: /at 'secretBinary' failed to satisfy constraint: Member must have length less than or equal to 65536$/,
  },
  { name: "empty SecretString is refused", req: { op: "PutSecretValue", body: { SecretId: "seeded", SecretString: "", ClientRequestToken: tok() } }, status: 400, type: "ValidationException", message: /at 'secretString' failed to satisfy constraint: Member must have length greater than or equal to 1$/ },
  {
    name: "Name of 513 characters",
    req: { op: "CreateSecret", body: { Name: big(513, "n"), SecretString: MARKER, ClientRequestToken: tok() } },
    status: 400,
    type: "ValidationException",
    message: /^1 validation error detected: Value 'n+(\.\.\.)?' at 'name' failed to satisfy constraint: Member must have length less than or equal to 512$/,
  },
  { name: "Name of 512 characters is accepted", req: { op: "CreateSecret", body: { Name: big(512, "n"), SecretString: MARKER, ClientRequestToken: tok() } }, status: 200, creates: big(512, "n") },
  { name: "empty Name", req: { op: "CreateSecret", body: { Name: "", SecretString: MARKER, ClientRequestToken: tok() } }, status: 400, type: "ValidationException", message: validation1("name", "Member must have length greater than or equal to 1", "") },
  {
    name: "SecretId of 2049 characters",
    req: { op: "DescribeSecret", body: { SecretId: big(2049, "i") } },
    status: 400,
    type: "ValidationException",
    message: /at 'secretId' failed to satisfy constraint: Member must have length less than or equal to 2048$/,
  },
  {
    name: "ClientRequestToken of 31 characters",
    req: { op: "PutSecretValue", body: { SecretId: "seeded", SecretString: MARKER, ClientRequestToken: big(31, "t") } },
    status: 400,
    type: "ValidationException",
    message: validation1("clientRequestToken", "Member must have length greater than or equal to 32", big(31, "t")),
  },
  {
    name: "ClientRequestToken of 65 characters",
    req: { op: "CreateSecret", body: { Name: "bad-token-65", SecretString: MARKER, ClientRequestToken: big(65, "t") } },
    status: 400,
    type: "ValidationException",
    message: validation1("clientRequestToken", "Member must have length less than or equal to 64", big(65, "t")),
  },
  { name: "ClientRequestToken of 32 characters is accepted", req: { op: "CreateSecret", body: { Name: "ok-token-32", SecretString: MARKER, ClientRequestToken: big(32, "t") } }, status: 200, creates: "ok-token-32" },
  { name: "ClientRequestToken of 64 characters is accepted", req: { op: "CreateSecret", body: { Name: "ok-token-64", SecretString: MARKER, ClientRequestToken: big(64, "t") } }, status: 200, creates: "ok-token-64" },
  {
    name: "Description of 2049 characters",
    req: { op: "UpdateSecret", body: { SecretId: "seeded", Description: big(2049, "d") } },
    status: 400,
    type: "ValidationException",
    message: /^1 validation error detected: Value 'd+(\.\.\.)?' at 'description' failed to satisfy constraint: Member must have length less than or equal to 2048$/,
  },
  { name: "Description of 2048 characters is accepted", req: { op: "CreateSecret", body: { Name: "ok-desc", Description: big(2048, "d") } }, status: 200, creates: "ok-desc" },
]);

const tags = (n: number) => Array.from({ length: n }, (_, i) => ({ Key: `k${i}`, Value: `v${i}` }));
table("tags, filters, paging and windows", [
  { name: "51 tags on CreateSecret", req: { op: "CreateSecret", body: { Name: "bad-51-tags", Tags: tags(51) } }, status: 400, type: "InvalidParameterException" },
  { name: "51 tags on TagResource", req: { op: "TagResource", body: { SecretId: "seeded", Tags: tags(51) } }, status: 400, type: "InvalidParameterException" },
  { name: "50 tags on top of an existing one (51 in total)", req: { op: "TagResource", body: { SecretId: "seeded", Tags: tags(50) } }, status: 400, type: "InvalidParameterException" },
  { name: "50 tags are accepted", req: { op: "CreateSecret", body: { Name: "ok-50-tags", Tags: tags(50) } }, status: 200, creates: "ok-50-tags" },
  {
    name: "tag key of 129 characters",
    req: { op: "TagResource", body: { SecretId: "seeded", Tags: [{ Key: big(129, "k"), Value: "v" }] } },
    status: 400,
    type: "ValidationException",
    message: /at 'tags\.1\.member\.key' failed to satisfy constraint: Member must have length less than or equal to 128$/,
  },
  {
    name: "tag value of 257 characters",
    req: { op: "TagResource", body: { SecretId: "seeded", Tags: [{ Key: "k", Value: big(257, "v") }] } },
    status: 400,
    type: "ValidationException",
    message: /at 'tags\.1\.member\.value' failed to satisfy constraint: Member must have length less than or equal to 256$/,
  },
  { name: "tag key with the reserved aws: prefix", req: { op: "TagResource", body: { SecretId: "seeded", Tags: [{ Key: "aws:owner", Value: "me" }] } }, status: 400, type: "InvalidParameterException" },
  { name: "tag key with the reserved AWS: prefix in capitals", req: { op: "CreateSecret", body: { Name: "bad-aws-tag", Tags: [{ Key: "AWS:x", Value: "y" }] } }, status: 400, type: "InvalidParameterException" },
  { name: "tag without a key", req: { op: "TagResource", body: { SecretId: "seeded", Tags: [{ Value: "v" }] } }, status: 400, type: "InvalidParameterException" },
  {
    name: "filter value with a forbidden character",
    req: { op: "ListSecrets", body: { Filters: [{ Key: "name", Values: ["bad*"] }] } },
    status: 400,
    type: "ValidationException",
    message: /at 'filters\.1\.member\.values.*regular expression pattern/,
  },
  { name: "filter value with a forbidden character (BatchGetSecretValue)", req: { op: "BatchGetSecretValue", body: { Filters: [{ Key: "name", Values: ["a?b"] }] } }, status: 400, type: "ValidationException", message: /filters\.1\.member\.values/ },
  {
    name: "filter key outside the enum",
    req: { op: "ListSecrets", body: { Filters: [{ Key: "color", Values: ["red"] }] } },
    status: 400,
    type: "ValidationException",
    message: /^1 validation error detected: Value 'color' at 'filters\.1\.member\.key' failed to satisfy constraint: Member must satisfy enum value set: \[/,
  },
  // moto's answers (moto/secretsmanager/responses.py _validate_filters); AWS's exact wording is not recorded.
  { name: "filter without a Key", req: { op: "ListSecrets", body: { Filters: [{ Values: ["a"] }] } }, status: 400, type: "InvalidParameterException", message: "Invalid filter key" },
  { name: "filter without Values", req: { op: "ListSecrets", body: { Filters: [{ Key: "name" }] } }, status: 400, type: "InvalidParameterException", message: "Invalid filter values for key: name" },
  { name: "filter without a Key (BatchGetSecretValue)", req: { op: "BatchGetSecretValue", body: { Filters: [{ Values: ["a"] }] } }, status: 400, type: "InvalidParameterException", message: "Invalid filter key" },
  { name: "empty filter object", req: { op: "ListSecrets", body: { Filters: [{}] } }, status: 400, type: "InvalidParameterException", message: "Invalid filter key" },
  { name: "11 filters", req: { op: "ListSecrets", body: { Filters: Array.from({ length: 11 }, () => ({ Key: "name", Values: ["a"] })) } }, status: 400, type: "ValidationException", message: /at 'filters' failed to satisfy constraint: Member must have length less than or equal to 10$/ },
  { name: "ListSecrets MaxResults 0", req: { op: "ListSecrets", body: { MaxResults: 0 } }, status: 400, type: "ValidationException", message: validation1("maxResults", "Member must have value greater than or equal to 1", "0") },
  { name: "ListSecrets MaxResults 101", req: { op: "ListSecrets", body: { MaxResults: 101 } }, status: 400, type: "ValidationException", message: validation1("maxResults", "Member must have value less than or equal to 100", "101") },
  { name: "ListSecrets MaxResults -1", req: { op: "ListSecrets", body: { MaxResults: -1 } }, status: 400, type: "ValidationException", message: validation1("maxResults", "Member must have value greater than or equal to 1", "-1") },
  { name: "ListSecretVersionIds MaxResults 101", req: { op: "ListSecretVersionIds", body: { SecretId: "seeded", MaxResults: 101 } }, status: 400, type: "ValidationException", message: validation1("maxResults", "Member must have value less than or equal to 100", "101") },
  { name: "BatchGetSecretValue MaxResults 21", req: { op: "BatchGetSecretValue", body: { Filters: [{ Key: "name", Values: ["s"] }], MaxResults: 21 } }, status: 400, type: "ValidationException", message: validation1("maxResults", "Member must have value less than or equal to 20", "21") },
  { name: "BatchGetSecretValue with 21 ids", req: { op: "BatchGetSecretValue", body: { SecretIdList: Array.from({ length: 21 }, (_, i) => `id${i}`) } }, status: 400, type: "ValidationException", message: /at 'secretIdList' failed to satisfy constraint: Member must have length less than or equal to 20$/ },
  { name: "garbage NextToken", req: { op: "ListSecrets", body: { NextToken: "not-a-token" } }, status: 400, type: "InvalidNextTokenException" },
  { name: "garbage NextToken on ListSecretVersionIds", req: { op: "ListSecretVersionIds", body: { SecretId: "seeded", NextToken: "eyJvIjotMX0" } }, status: 400, type: "InvalidNextTokenException" },
  { name: "RecoveryWindowInDays 6", req: { op: "DeleteSecret", body: { SecretId: "seeded", RecoveryWindowInDays: 6 } }, status: 400, type: "InvalidParameterException", message: WINDOW },
  { name: "RecoveryWindowInDays 31", req: { op: "DeleteSecret", body: { SecretId: "seeded", RecoveryWindowInDays: 31 } }, status: 400, type: "InvalidParameterException", message: WINDOW },
  { name: "RecoveryWindowInDays 0", req: { op: "DeleteSecret", body: { SecretId: "seeded", RecoveryWindowInDays: 0 } }, status: 400, type: "InvalidParameterException", message: WINDOW },
  { name: "RecoveryWindowInDays with ForceDeleteWithoutRecovery", req: { op: "DeleteSecret", body: { SecretId: "seeded", RecoveryWindowInDays: 7, ForceDeleteWithoutRecovery: true } }, status: 400, type: "InvalidParameterException", message: "You can't use ForceDeleteWithoutRecovery in conjunction with RecoveryWindowInDays." },
  { name: "SecretString and SecretBinary together", req: { op: "PutSecretValue", body: { SecretId: "seeded", SecretString: MARKER, SecretBinary: "AAAA", ClientRequestToken: tok() } }, status: 400, type: "InvalidParameterException" },
  { name: "PutSecretValue without a value", req: { op: "PutSecretValue", body: { SecretId: "seeded", ClientRequestToken: tok() } }, status: 400, type: "InvalidRequestException" },
  { name: "21 VersionStages", req: { op: "PutSecretValue", body: { SecretId: "seeded", SecretString: MARKER, ClientRequestToken: tok(), VersionStages: Array.from({ length: 21 }, (_, i) => `S${i}`) } }, status: 400, type: "ValidationException", message: /at 'versionStages' failed to satisfy constraint: Member must have length less than or equal to 20$/ },
  { name: "PasswordLength 0", req: { op: "GetRandomPassword", body: { PasswordLength: 0 } }, status: 400, type: "ValidationException", message: validation1("passwordLength", "Member must have value greater than or equal to 1", "0") },
  { name: "PasswordLength 4097", req: { op: "GetRandomPassword", body: { PasswordLength: 4097 } }, status: 400, type: "ValidationException", message: validation1("passwordLength", "Member must have value less than or equal to 4096", "4097") },
  { name: "every password character excluded", req: { op: "GetRandomPassword", body: { ExcludeLowercase: true, ExcludeUppercase: true, ExcludeNumbers: true, ExcludePunctuation: true } }, status: 400, type: "InvalidParameterException" },
  { name: "AutomaticallyAfterDays 1001", req: { op: "RotateSecret", body: { SecretId: "seeded", ClientRequestToken: tok(), RotationLambdaARN: LAMBDA, RotationRules: { AutomaticallyAfterDays: 1001 } } }, status: 400, type: "ValidationException", message: /at 'rotationRules\.automaticallyAfterDays' failed to satisfy constraint: Member must have value less than or equal to 1000$/ },
  { name: "a malformed resource policy", req: { op: "PutResourcePolicy", body: { SecretId: "seeded", ResourcePolicy: "{nope" } }, status: 400, type: "MalformedPolicyDocumentException" },
  { name: "a resource policy of 20,481 characters", req: { op: "PutResourcePolicy", body: { SecretId: "seeded", ResourcePolicy: big(20_481, " ") } }, status: 400, type: "ValidationException", message: /at 'resourcePolicy' failed to satisfy constraint: Member must have length less than or equal to 20480$/ },
  { name: "a replica region that is not a region", req: { op: "ReplicateSecretToRegions", body: { SecretId: "seeded", AddReplicaRegions: [{ Region: "Not A Region" }] } }, status: 400, type: "ValidationException", message: /at 'addReplicaRegions\.1\.member\.region' failed to satisfy constraint: Member must satisfy regular expression pattern/ },
  { name: "replicating to the primary's own region", req: { op: "ReplicateSecretToRegions", body: { SecretId: "seeded", AddReplicaRegions: [{ Region: "us-east-1" }] } }, status: 400, type: "InvalidParameterException" },
]);

// The validator treats an explicit JSON null as an absent member ("Value null ... must not be null"
// for required ones), as AWS does; the operations must too.
table("explicit null members mean 'absent'", [
  { name: "BatchGetSecretValue SecretIdList: null", req: { op: "BatchGetSecretValue", body: { SecretIdList: null } }, status: 400, type: "InvalidParameterException", message: "Either 'SecretIdList' or 'Filters' must be provided, but not both." },
  {
    name: "BatchGetSecretValue Filters, MaxResults, NextToken: null",
    req: { op: "BatchGetSecretValue", body: { SecretIdList: ["seeded"], Filters: null, MaxResults: null, NextToken: null } },
    status: 200,
    check: (r) => assert.deepEqual(r.json.SecretValues.map((v: { SecretString: string }) => v.SecretString), ["seed-2"]),
  },
  { name: "CreateSecret Tags: null", req: { op: "CreateSecret", body: { Name: "ok-null-tags", Tags: null } }, status: 200, creates: "ok-null-tags" },
  {
    name: "CreateSecret Description, KmsKeyId, Type: null are not stored",
    req: { op: "CreateSecret", body: { Name: "ok-null-members", Description: null, KmsKeyId: null, Type: null } },
    status: 200,
    creates: "ok-null-members",
    check: async () => {
      const d = await ok("DescribeSecret", { SecretId: "ok-null-members" });
      for (const k of ["Description", "KmsKeyId", "Type"]) assert.ok(!(k in d), `DescribeSecret shows ${k}: ${JSON.stringify(d[k])}`);
      const l = await ok("ListSecrets", { Filters: [{ Key: "name", Values: ["ok-null-members"] }] });
      for (const k of ["Description", "KmsKeyId", "Type"]) assert.ok(!(k in l.SecretList[0]), `ListSecrets shows ${k}: ${JSON.stringify(l.SecretList[0][k])}`);
    },
  },
  {
    name: "UpdateSecret Description: null leaves the description alone",
    setup: async () => void (await ok("CreateSecret", { Name: "null-update", Description: "kept", ClientRequestToken: tok() })),
    req: { op: "UpdateSecret", body: { SecretId: "null-update", Description: null, KmsKeyId: null } },
    status: 200,
    creates: "null-update",
    check: async () => {
      const d = await ok("DescribeSecret", { SecretId: "null-update" });
      assert.equal(d.Description, "kept");
      assert.ok(!("KmsKeyId" in d), `DescribeSecret shows KmsKeyId: ${JSON.stringify(d.KmsKeyId)}`);
    },
  },
  { name: "CreateSecret tag Key: null (as a tag without a key)", req: { op: "CreateSecret", body: { Name: "bad-null-tag-key", Tags: [{ Key: null, Value: "v" }] } }, status: 400, type: "InvalidParameterException" },
  { name: "ListSecrets filter Values: null (as a filter without Values)", req: { op: "ListSecrets", body: { Filters: [{ Key: "name", Values: null }] } }, status: 400, type: "InvalidParameterException", message: "Invalid filter values for key: name" },
  { name: "ListSecrets NextToken, Filters, MaxResults: null", req: { op: "ListSecrets", body: { NextToken: null, Filters: null, MaxResults: null } }, status: 200 },
  {
    name: "ListSecretVersionIds NextToken, MaxResults, IncludeDeprecated: null",
    req: { op: "ListSecretVersionIds", body: { SecretId: "seeded", NextToken: null, MaxResults: null, IncludeDeprecated: null } },
    status: 200,
    check: (r) => assert.equal(r.json.Versions.length, 3),
  },
  {
    name: "GetSecretValue VersionId, VersionStage: null (reads AWSCURRENT)",
    req: { op: "GetSecretValue", body: { SecretId: "seeded", VersionId: null, VersionStage: null } },
    status: 200,
    check: (r) => assert.equal(r.json.SecretString, "seed-2"),
  },
  { name: "ValidateResourcePolicy SecretId: null", req: { op: "ValidateResourcePolicy", body: { SecretId: null, ResourcePolicy: POLICY } }, status: 200, check: (r) => assert.equal(r.json.PolicyValidationPassed, true) },
  {
    name: "DeleteSecret RecoveryWindowInDays: null (the default 30 days)",
    setup: async () => void (await ok("CreateSecret", { Name: "null-window", SecretString: "x", ClientRequestToken: tok() })),
    req: { op: "DeleteSecret", body: { SecretId: "null-window", RecoveryWindowInDays: null } },
    status: 200,
    creates: "null-window",
    check: (r) => assert.ok(Math.abs(r.json.DeletionDate * 1000 - (Date.now() + 30 * 86_400_000)) < 60_000, `DeletionDate ${r.json.DeletionDate}`),
  },
  {
    name: "PutSecretValue SecretBinary: null next to a SecretString",
    setup: async () => void (await ok("CreateSecret", { Name: "null-binary", SecretString: "x", ClientRequestToken: tok() })),
    req: { op: "PutSecretValue", body: { SecretId: "null-binary", SecretString: MARKER, SecretBinary: null, ClientRequestToken: tok() } },
    status: 200,
    creates: "null-binary",
  },
  {
    name: "UpdateSecretVersionStage RemoveFromVersionId, MoveToVersionId: null (as both absent)",
    req: { op: "UpdateSecretVersionStage", body: { SecretId: "seeded", VersionStage: "CUSTOM", RemoveFromVersionId: null, MoveToVersionId: null } },
    status: 400,
    type: "InvalidParameterException",
    // The server's own answer when both are absent.
    message: "You must specify either RemoveFromVersionId or MoveToVersionId.",
  },
  {
    name: "RotateSecret RotationRules.AutomaticallyAfterDays: null next to a ScheduleExpression",
    req: { op: "RotateSecret", body: { SecretId: "seeded", ClientRequestToken: tok(), RotationLambdaARN: LAMBDA, RotationRules: { AutomaticallyAfterDays: null, ScheduleExpression: "rate(4 hours)" } } },
    status: 400,
    type: "AccessDeniedException",
    message: "Secrets Manager cannot invoke the specified Lambda function. Ensure that the function policy grants access to the principal secretsmanager.amazonaws.com.",
  },
]);

/** A valid request of every operation that takes a SecretId, with `id` as that SecretId. */
const BY_ID: Record<string, (id: string) => Record<string, unknown>> = {
  CancelRotateSecret: (id) => ({ SecretId: id }),
  CreateSecret: (id) => ({ Name: id, SecretString: MARKER, ClientRequestToken: tok() }),
  DeleteResourcePolicy: (id) => ({ SecretId: id }),
  DeleteSecret: (id) => ({ SecretId: id, ForceDeleteWithoutRecovery: true }),
  DescribeSecret: (id) => ({ SecretId: id }),
  GetResourcePolicy: (id) => ({ SecretId: id }),
  GetSecretValue: (id) => ({ SecretId: id }),
  ListSecretVersionIds: (id) => ({ SecretId: id }),
  PutResourcePolicy: (id) => ({ SecretId: id, ResourcePolicy: POLICY }),
  PutSecretValue: (id) => ({ SecretId: id, SecretString: MARKER, ClientRequestToken: tok() }),
  RemoveRegionsFromReplication: (id) => ({ SecretId: id, RemoveReplicaRegions: ["eu-west-1"] }),
  ReplicateSecretToRegions: (id) => ({ SecretId: id, AddReplicaRegions: [{ Region: "eu-west-1" }] }),
  RestoreSecret: (id) => ({ SecretId: id }),
  RotateSecret: (id) => ({ SecretId: id, ClientRequestToken: tok(), RotationLambdaARN: LAMBDA }),
  StopReplicationToReplica: (id) => ({ SecretId: id }),
  TagResource: (id) => ({ SecretId: id, Tags: [{ Key: "k", Value: "v" }] }),
  UntagResource: (id) => ({ SecretId: id, TagKeys: ["k"] }),
  UpdateSecret: (id) => ({ SecretId: id, Description: "d" }),
  UpdateSecretVersionStage: (id) => ({ SecretId: id, VersionStage: "S", MoveToVersionId: tok() }),
  ValidateResourcePolicy: (id) => ({ SecretId: id, ResourcePolicy: POLICY }),
};

table(
  "invalid names on every operation that takes one",
  INVALID_NAMES.flatMap((bad) =>
    Object.entries(BY_ID).map(([op, body]) => ({
      name: `${op} ${JSON.stringify(bad)}`,
      req: { op, body: body(bad) },
      status: 400,
      type: "ValidationException",
      message: INVALID_NAME,
    })),
  ),
);

describe("the table itself", () => {
  test("the state comparison notices a stored change (so 'nothing stored' can fail)", async () => {
    await ok("CreateSecret", { Name: "probe", SecretString: "p", ClientRequestToken: tok() });
    try {
      assert.notDeepEqual(await snapshot(), baseline);
    } finally {
      await ok("DeleteSecret", { SecretId: "probe", ForceDeleteWithoutRecovery: true });
    }
    assert.deepEqual(await snapshot(), baseline);
  });
});
