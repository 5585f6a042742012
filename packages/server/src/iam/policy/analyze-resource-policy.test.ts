import { test } from "node:test";
import assert from "node:assert/strict";
import { analyzeResourcePolicy, compilePolicy, type PrincipalInfo } from "./index.js";

const ACCT = "111122223333";
const SECRET = `arn:aws:secretsmanager:us-east-1:${ACCT}:secret:/prod/db-AbCdEf`;
const ALICE: PrincipalInfo = { arn: `arn:aws:iam::${ACCT}:user/alice`, account: ACCT, username: "alice" };
const CAROL = `arn:aws:iam::${ACCT}:user/carol`;
const doc = (...Statement: Record<string, unknown>[]) => JSON.stringify({ Version: "2012-10-17", Statement });
const allow = (Principal: unknown, Condition?: unknown) => ({ Effect: "Allow", Principal, Action: "secretsmanager:GetSecretValue", Resource: "*", ...(Condition ? { Condition } : {}) });

const publicCases: [name: string, policy: string, isPublic: boolean][] = [
  ['Principal "*"', doc(allow("*")), true],
  ['{"AWS": "*"}', doc(allow({ AWS: "*" })), true],
  ['"*" among other principals', doc(allow({ AWS: [ACCT, "*"] })), true],
  ["narrowed by aws:PrincipalAccount", doc(allow("*", { StringEquals: { "aws:PrincipalAccount": ACCT } })), false],
  ["narrowed by aws:PrincipalOrgID", doc(allow("*", { StringEquals: { "aws:PrincipalOrgID": "o-a1b2c3d4e5" } })), false],
  ["narrowed by aws:PrincipalArn in one account", doc(allow("*", { ArnLike: { "aws:PrincipalArn": `arn:aws:iam::${ACCT}:*` } })), false],
  ["narrowed by aws:SourceAccount (key case-insensitive)", doc(allow("*", { StringEquals: { "AWS:SOURCEACCOUNT": ACCT } })), false],
  ["narrowed by a /24 aws:SourceIp", doc(allow("*", { IpAddress: { "aws:SourceIp": "203.0.113.0/24" } })), false],
  ["not narrowed by 0.0.0.0/0", doc(allow("*", { IpAddress: { "aws:SourceIp": "0.0.0.0/0" } })), true],
  ["not narrowed by a wildcard account", doc(allow("*", { StringLike: { "aws:PrincipalAccount": "*" } })), true],
  ["not narrowed by an ARN in any account", doc(allow("*", { ArnLike: { "aws:PrincipalArn": "arn:aws:iam::*:user/alice" } })), true],
  ["not narrowed by a negated operator", doc(allow("*", { StringNotEquals: { "aws:PrincipalAccount": ACCT } })), true],
  ["not narrowed by IfExists", doc(allow("*", { StringEqualsIfExists: { "aws:PrincipalOrgID": "o-a1b2c3d4e5" } })), true],
  ["not narrowed by an unrelated key", doc(allow("*", { Bool: { "aws:SecureTransport": "true" } })), true],
  ["narrowed when any operator narrows", doc(allow("*", { Bool: { "aws:SecureTransport": "true" }, StringEquals: { "aws:PrincipalAccount": [ACCT, "444455556666"] } })), false],
  ['a Deny with Principal "*" is not public', doc({ Effect: "Deny", Principal: "*", Action: "*", Resource: "*" }), false],
  ["naming an account is not public", doc(allow({ AWS: ACCT })), false],
  ["an Allow with NotPrincipal is public", doc({ Effect: "Allow", NotPrincipal: { AWS: CAROL }, Action: "*", Resource: "*" }), true],
  ["one public statement among narrow ones", doc(allow({ AWS: ACCT }), allow("*")), true],
];

for (const [name, policy, isPublic] of publicCases) {
  test(`analyze: ${name} → ${isPublic ? "public" : "not public"}`, () => {
    const a = analyzeResourcePolicy(policy, { secretArn: SECRET, account: ACCT });
    assert.equal(a.public, isPublic);
    assert.equal(a.findings.some((f) => f.check === "BROAD_ACCESS"), isPublic);
  });
}

test("analyze: a syntax error is the only finding", () => {
  const a = analyzeResourcePolicy(doc({ Effect: "Allow", Action: "secretsmanager:*", Resource: "*" }), { secretArn: SECRET, account: ACCT, caller: ALICE });
  assert.deepEqual(a, { public: false, findings: [{ check: "SYNTAX_CHECK", message: "Statement[0]: must have Principal or NotPrincipal" }] });
});

const deny = (Principal: unknown, Action: unknown = "secretsmanager:*", extra: Record<string, unknown> = {}) => ({ Effect: "Deny", Principal, Action, Resource: "*", ...extra });

const lockOutCases: [name: string, policy: string, lockedOut: boolean][] = [
  ["Deny * to everyone", doc(deny("*", "*")), true],
  ["Deny PutResourcePolicy to the caller", doc(deny({ AWS: ALICE.arn }, "secretsmanager:PutResourcePolicy")), true],
  ["Deny *ResourcePolicy to the caller's account", doc(deny({ AWS: ACCT }, "secretsmanager:*ResourcePolicy")), true],
  ["Deny to someone else", doc(deny({ AWS: CAROL })), false],
  ["Deny of other actions", doc(deny("*", ["secretsmanager:GetSecretValue", "secretsmanager:DeleteSecret"])), false],
  ["Deny NotAction GetSecretValue covers the policy actions", doc({ Effect: "Deny", Principal: "*", NotAction: "secretsmanager:GetSecretValue", Resource: "*" }), true],
  ["Deny NotPrincipal the caller", doc({ Effect: "Deny", NotPrincipal: { AWS: ALICE.arn }, Action: "*", Resource: "*" }), false],
  ["Deny NotPrincipal someone else", doc({ Effect: "Deny", NotPrincipal: { AWS: CAROL }, Action: "*", Resource: "*" }), true],
  ["Deny on another secret", doc({ Effect: "Deny", Principal: "*", Action: "*", Resource: `arn:aws:secretsmanager:us-east-1:${ACCT}:secret:/dev/*` }), false],
  ["Deny depending on the source IP is not reported", doc(deny("*", "*", { Condition: { NotIpAddress: { "aws:SourceIp": "10.0.0.0/8" } } })), false],
  ["Deny unless the caller is alice: not alice's lock-out", doc(deny("*", "*", { Condition: { StringNotEquals: { "aws:PrincipalArn": ALICE.arn } } })), false],
  ["Deny unless the caller is carol: alice is locked out", doc(deny("*", "*", { Condition: { StringNotEquals: { "aws:PrincipalArn": CAROL } } })), true],
  ["Deny unless aws:username is carol", doc(deny("*", "*", { Condition: { StringNotEquals: { "aws:username": "carol" } } })), true],
  ["only Allow statements", doc(allow({ AWS: ALICE.arn })), false],
];

for (const [name, policy, lockedOut] of lockOutCases) {
  test(`analyze lock-out: ${name} → ${lockedOut ? "LOCK_OUT" : "no finding"}`, () => {
    const a = analyzeResourcePolicy(policy, { secretArn: SECRET, account: ACCT, caller: ALICE });
    const found = a.findings.filter((f) => f.check === "LOCK_OUT");
    assert.equal(found.length > 0, lockedOut, JSON.stringify(a.findings));
    if (lockedOut) assert.match(found[0]!.message, /Statement\[0\] denies secretsmanager:\w+ResourcePolicy to the caller \(arn:aws:iam::111122223333:user\/alice\)/);
  });
}

test("analyze lock-out: not reported when the caller's identity policies already deny it", () => {
  const identity = [compilePolicy(doc({ Effect: "Deny", Action: "secretsmanager:*ResourcePolicy", Resource: "*" }), "identity")];
  const a = analyzeResourcePolicy(doc(deny("*", "*")), { secretArn: SECRET, account: ACCT, caller: ALICE, callerIdentity: identity });
  assert.deepEqual(a.findings, []);
});

test("analyze lock-out: not checked without a caller", () => {
  assert.deepEqual(analyzeResourcePolicy(doc(deny("*", "*")), { secretArn: SECRET, account: ACCT }).findings, []);
});
