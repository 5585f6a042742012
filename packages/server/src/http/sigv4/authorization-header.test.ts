import assert from "node:assert/strict";
import { test } from "node:test";
import { ServiceError } from "@keyshift/protocol";
import { parseAuthorization } from "./authorization-header.js";

const SIG = "a".repeat(64);
const CRED = "AKIDEXAMPLE/20261122/us-east-1/secretsmanager/aws4_request";

test("parseAuthorization reads the SDK's and botocore's layout and a compact one", () => {
  for (const header of [
    `AWS4-HMAC-SHA256 Credential=${CRED}, SignedHeaders=host;x-amz-date, Signature=${SIG}`,
    `AWS4-HMAC-SHA256 Credential=${CRED},SignedHeaders=host;x-amz-date,Signature=${SIG}`,
    `AWS4-HMAC-SHA256 Signature=${SIG} , SignedHeaders=host;x-amz-date ,Credential=${CRED}`,
  ]) {
    assert.deepEqual(parseAuthorization(header, true), {
      accessKeyId: "AKIDEXAMPLE",
      scope: "20261122/us-east-1/secretsmanager/aws4_request",
      scopeDate: "20261122",
      region: "us-east-1",
      service: "secretsmanager",
      terminator: "aws4_request",
      signedHeadersLine: "host;x-amz-date",
      signedHeaders: ["host", "x-amz-date"],
      signature: SIG,
    });
  }
});

function incomplete(header: string, hasDate: boolean): string {
  try {
    parseAuthorization(header, hasDate);
  } catch (e) {
    assert.ok(e instanceof ServiceError);
    assert.equal(e.code, "IncompleteSignatureException");
    return e.message;
  }
  assert.fail(`accepted ${header}`);
}

const needCred = "Authorization header requires 'Credential' parameter.";
const needSig = "Authorization header requires 'Signature' parameter.";
const needSh = "Authorization header requires 'SignedHeaders' parameter.";
const needDate = "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header.";

test("parseAuthorization names every missing part, in AWS's order, and never echoes the header", () => {
  const cases: [string, boolean, string][] = [
    [`AWS4-HMAC-SHA256 SignedHeaders=host, Signature=${SIG}`, true, needCred],
    [`AWS4-HMAC-SHA256 Credential=${CRED}, SignedHeaders=host`, true, needSig],
    [`AWS4-HMAC-SHA256 Credential=${CRED}, SignedHeaders=host, Signature=`, true, needSig],
    [`AWS4-HMAC-SHA256 Credential=${CRED}, Signature=${SIG}`, true, needSh],
    [`AWS4-HMAC-SHA256 Credential=${CRED}, SignedHeaders=host, Signature=${SIG}`, false, needDate],
    ["AWS4-HMAC-SHA256", false, [needCred, needSig, needSh, needDate].join(" ")],
    [`AWS4-HMAC-SHA256 credential=${CRED}, signedheaders=host, signature=${SIG}`, true, [needCred, needSig, needSh].join(" ")],
    [`Bearer s3cr3t-token-${SIG}`, true, [needCred, needSig, needSh].join(" ")],
    [`s3cr3t-token-${SIG}`, true, [needCred, needSig, needSh].join(" ")],
  ];
  for (const [header, hasDate, message] of cases) {
    const got = incomplete(header, hasDate);
    assert.equal(got, message, header);
    assert.ok(!got.includes(SIG) && !got.includes("s3cr3t"), "the message echoes the header");
  }
});

test("parseAuthorization rejects other AWS algorithms and malformed credentials", () => {
  const sha512 = `AWS4-HMAC-SHA512 Credential=${CRED}, SignedHeaders=host, Signature=${SIG}`;
  assert.equal(incomplete(sha512, true), "Unsupported AWS 'algorithm': 'AWS4-HMAC-SHA512'.");
  const shape = "Credential must have exactly 5 slash-delimited elements, e.g. keyid/date/region/service/term.";
  const credentials = ["AKID/20261122/us-east-1/secretsmanager", `${CRED}/extra`];
  credentials.push("/20261122/us-east-1/secretsmanager/aws4_request", "AKID/20261122//secretsmanager/aws4_request");
  for (const cred of credentials) {
    assert.equal(incomplete(`AWS4-HMAC-SHA256 Credential=${cred}, SignedHeaders=host, Signature=${SIG}`, true), shape, cred);
  }
});
