import { test } from "node:test";
import assert from "node:assert/strict";
import { compilePolicy, PolicySyntaxError } from "./index.js";

const S = (st: Record<string, unknown>) => JSON.stringify({ Version: "2012-10-17", Statement: [st] });
const ok = { Effect: "Allow", Action: "secretsmanager:GetSecretValue", Resource: "*" };
const okR = { ...ok, Principal: { AWS: "111122223333" } };

/** [name, kind, document, fragment the message must contain] */
const malformed: [string, "identity" | "resource", string, string][] = [
  ["not JSON", "identity", "{", "not valid JSON"],
  ["a JSON array", "identity", "[]", "must be a JSON object"],
  ["a JSON string", "identity", '"x"', "must be a JSON object"],
  ["an unknown top-level field", "identity", JSON.stringify({ Version: "2012-10-17", Statment: [ok] }), "unknown field Statment"],
  ["a wrong Version", "identity", JSON.stringify({ Version: "2012-10-18", Statement: [ok] }), 'Version: must be "2012-10-17" or "2008-10-17"'],
  ["a numeric Version", "identity", JSON.stringify({ Version: 2012, Statement: [ok] }), "Version: must be"],
  ["an Id that isn't a string", "identity", JSON.stringify({ Id: 5, Statement: [ok] }), "Id: must be a string"],
  ["no Statement", "identity", JSON.stringify({ Version: "2012-10-17" }), "Statement is missing"],
  ["an empty Statement array", "identity", JSON.stringify({ Statement: [] }), "Statement: must not be empty"],
  ["a statement that is a string", "identity", JSON.stringify({ Statement: ["x"] }), "Statement[0]: must be an object"],
  ["an unknown statement field", "identity", S({ ...ok, Effects: "Allow" }), "Statement[0]: unknown field Effects"],
  ["no Effect", "identity", S({ Action: "s3:*", Resource: "*" }), "Statement[0]: must have an Effect"],
  ["a lower-case Effect", "identity", S({ ...ok, Effect: "allow" }), 'Statement[0].Effect: must be "Allow" or "Deny"'],
  ["a Sid that isn't a string", "identity", S({ ...ok, Sid: 1 }), "Statement[0].Sid: must be a string"],
  ["duplicate Sids", "identity", JSON.stringify({ Statement: [{ ...ok, Sid: "A" }, { ...ok, Sid: "A" }] }), 'Statement[1].Sid: duplicate Sid "A"'],
  ["no Action", "identity", S({ Effect: "Allow", Resource: "*" }), "Statement[0]: must have Action or NotAction"],
  ["both Action and NotAction", "identity", S({ ...ok, NotAction: "s3:*" }), "can't have both Action and NotAction"],
  ["an action without service prefix", "identity", S({ ...ok, Action: "GetSecretValue" }), 'Statement[0].Action: "GetSecretValue" is not an action'],
  ["an action with an empty name", "identity", S({ ...ok, Action: "secretsmanager:" }), "is not an action"],
  ["a wildcard in the service prefix", "identity", S({ ...ok, Action: "secrets*:Get*" }), "is not an action"],
  ["a bad action in a list points at it", "identity", S({ ...ok, Action: ["secretsmanager:GetSecretValue", "bad"] }), 'Statement[0].Action[1]: "bad" is not an action'],
  ["an empty Action list", "identity", S({ ...ok, Action: [] }), "Statement[0].Action: must not be an empty array"],
  ["an Action number", "identity", S({ ...ok, Action: 5 }), "Statement[0].Action: must be a string or an array of strings"],
  ["an Action list with a number", "identity", S({ ...ok, Action: ["s3:x", 5] }), "Statement[0].Action[1]: must be a string"],
  ["no Resource", "identity", S({ Effect: "Allow", Action: "s3:*" }), "must have Resource or NotResource"],
  ["both Resource and NotResource", "identity", S({ ...ok, NotResource: "*" }), "can't have both Resource and NotResource"],
  ["a Resource that isn't an ARN", "identity", S({ ...ok, Resource: "my-secret" }), 'Statement[0].Resource: "my-secret" is not a resource'],
  ["a truncated ARN", "identity", S({ ...ok, Resource: "arn:aws:secretsmanager:us-east-1" }), "is not a resource"],
  ["a bad entry of a NotResource list", "identity", S({ Effect: "Deny", Action: "*", NotResource: ["*", "x"] }), 'Statement[0].NotResource[1]: "x" is not a resource'],
  ["an unterminated variable", "identity", S({ ...ok, Resource: "arn:aws:secretsmanager:us-east-1:111122223333:secret:${aws:username" }), "unterminated policy variable"],
  ["a variable without service prefix", "identity", S({ ...ok, Resource: "arn:aws:secretsmanager:us-east-1:111122223333:secret:${username}" }), "invalid policy variable ${username}"],
  ["a Principal in an identity policy", "identity", S({ ...okR }), "an identity-based policy can't have a Principal"],
  ["a NotPrincipal in an identity policy", "identity", S({ ...ok, NotPrincipal: "*" }), "an identity-based policy can't have a Principal"],
  ["no Principal in a resource policy", "resource", S(ok), "Statement[0]: must have Principal or NotPrincipal"],
  ["both Principal and NotPrincipal", "resource", S({ ...okR, NotPrincipal: { AWS: "111122223333" } }), "can't have both Principal and NotPrincipal"],
  ["a Principal that is a bare string", "resource", S({ ...ok, Principal: "111122223333" }), 'Statement[0].Principal: must be "*" or an object'],
  ["an unknown principal type", "resource", S({ ...ok, Principal: { IAM: "x" } }), "Statement[0].Principal.IAM: unknown principal type"],
  ["an empty Principal object", "resource", S({ ...ok, Principal: {} }), "Statement[0].Principal: must name at least one principal"],
  ["a malformed account id", "resource", S({ ...ok, Principal: { AWS: "12345" } }), 'Statement[0].Principal.AWS: invalid principal "12345"'],
  ["a wildcard user ARN", "resource", S({ ...ok, Principal: { AWS: "arn:aws:iam::111122223333:user/*" } }), "invalid principal"],
  ["a bad principal in a list", "resource", S({ ...ok, Principal: { AWS: ["111122223333", "bob"] } }), 'Statement[0].Principal.AWS[1]: invalid principal "bob"'],
  ["a Condition that is an array", "identity", S({ ...ok, Condition: [] }), "Statement[0].Condition: must be an object of operators"],
  ["an unknown operator", "identity", S({ ...ok, Condition: { StringEqualz: { "aws:username": "a" } } }), "Statement[0].Condition: unknown operator StringEqualz"],
  ["an unknown set qualifier", "identity", S({ ...ok, Condition: { "ForSomeValues:StringEquals": { "aws:TagKeys": "a" } } }), "unknown set qualifier ForSomeValues"],
  ["a qualifier on an unknown operator", "identity", S({ ...ok, Condition: { "ForAnyValue:StringEqual": { "aws:TagKeys": "a" } } }), "unknown operator ForAnyValue:StringEqual"],
  ["NullIfExists", "identity", S({ ...ok, Condition: { NullIfExists: { "aws:TagKeys": "true" } } }), "unknown operator NullIfExists"],
  ["ForAllValues:Null", "identity", S({ ...ok, Condition: { "ForAllValues:Null": { "aws:TagKeys": "true" } } }), "unknown operator ForAllValues:Null"],
  ["an operator body that is a string", "identity", S({ ...ok, Condition: { StringEquals: "a" } }), "Statement[0].Condition.StringEquals: must be an object of condition keys"],
  ["an operator without keys", "identity", S({ ...ok, Condition: { StringEquals: {} } }), "must name at least one condition key"],
  ["a condition key without prefix", "identity", S({ ...ok, Condition: { StringEquals: { username: "a" } } }), '"username" is not a condition key'],
  ["an object condition value", "identity", S({ ...ok, Condition: { StringEquals: { "aws:username": { a: 1 } } } }), "Statement[0].Condition.StringEquals.aws:username: must be a string, number or boolean"],
  ["an empty condition value list", "identity", S({ ...ok, Condition: { StringEquals: { "aws:username": [] } } }), "must not be an empty array"],
  ["a non-numeric Numeric value", "identity", S({ ...ok, Condition: { NumericLessThan: { "test:n": "ten" } } }), '"ten" is not a number'],
  ["a bad Date value", "identity", S({ ...ok, Condition: { DateLessThan: { "aws:CurrentTime": "next week" } } }), '"next week" is not a date'],
  ["a bad Date value in a list points at it", "identity", S({ ...ok, Condition: { DateLessThan: { "aws:CurrentTime": ["2020-01-01", "31/12/2020"] } } }), "Statement[0].Condition.DateLessThan.aws:CurrentTime[1]"],
  ["a bad Bool value", "identity", S({ ...ok, Condition: { Bool: { "aws:SecureTransport": "yes" } } }), '"yes" is not a boolean'],
  ["a bad Null value", "identity", S({ ...ok, Condition: { Null: { "aws:TagKeys": "maybe" } } }), '"maybe" is not a boolean'],
  ["a bad CIDR", "identity", S({ ...ok, Condition: { IpAddress: { "aws:SourceIp": "10.0.0.0/40" } } }), '"10.0.0.0/40" is not an IP address or CIDR block'],
  ["a bad base64 value", "identity", S({ ...ok, Condition: { BinaryEquals: { "test:b": "not base64!" } } }), "is not base64"],
  ["an error in the second statement names it", "identity", JSON.stringify({ Statement: [ok, { ...ok, Effect: "Permit" }] }), "Statement[1].Effect"],
];

for (const [name, kind, doc, fragment] of malformed) {
  test(`malformed ${kind} policy: ${name}`, () => {
    assert.throws(() => compilePolicy(doc, kind), (e: unknown) => {
      assert.ok(e instanceof PolicySyntaxError, `not a PolicySyntaxError: ${String(e)}`);
      assert.ok(e.message.includes(fragment), `"${e.message}" should include "${fragment}"`);
      return true;
    });
  });
}

const valid: [string, "identity" | "resource", string][] = [
  ["a single statement object", "identity", JSON.stringify({ Version: "2012-10-17", Statement: ok })],
  ["no Version (2008-10-17)", "identity", JSON.stringify({ Statement: [ok] })],
  ["Version 2008-10-17 with ${ text taken literally", "identity", JSON.stringify({ Version: "2008-10-17", Statement: [{ ...ok, Resource: "arn:aws:secretsmanager:us-east-1:111122223333:secret:${x" }] })],
  ["an Id and Sids", "identity", JSON.stringify({ Version: "2012-10-17", Id: "p1", Statement: [{ ...ok, Sid: "A" }, { ...ok, Sid: "B" }] })],
  ["an empty Condition", "identity", S({ ...ok, Condition: {} })],
  ["every operator", "identity", S({ ...ok, Condition: { StringEqualsIfExists: { "a:b": "x" }, "ForAllValues:StringLike": { "aws:TagKeys": "x*" }, ArnLike: { "aws:SourceArn": "arn:*" }, NumericGreaterThanEquals: { "a:n": 1 }, DateGreaterThan: { "aws:CurrentTime": "2020-01-01T00:00:00Z" }, Bool: { "aws:SecureTransport": true }, BinaryEquals: { "a:bin": "QQ==" }, NotIpAddress: { "aws:SourceIp": ["10.0.0.0/8", "2001:db8::/32"] }, Null: { "a:c": "false" } } })],
  ["resource policy principal forms", "resource", JSON.stringify({ Version: "2012-10-17", Statement: [
    { ...ok, Principal: "*" },
    { ...ok, Principal: { AWS: "*" } },
    { ...ok, Principal: { AWS: ["111122223333", "arn:aws:iam::444455556666:root", "arn:aws:iam::444455556666:user/path/bob", "arn:aws:iam::444455556666:role/app"] } },
    { ...ok, Principal: { Service: "lambda.amazonaws.com", Federated: "cognito-identity.amazonaws.com" } },
    { ...ok, Effect: "Deny", NotPrincipal: { AWS: "arn:aws:iam::111122223333:root" } },
  ] })],
];

for (const [name, kind, doc] of valid) {
  test(`valid ${kind} policy: ${name}`, () => {
    const p = compilePolicy(doc, kind);
    assert.equal(p.kind, kind);
    assert.equal(p.text, doc);
  });
}

test("compilePolicy memoizes by kind and text", () => {
  const doc = S(ok);
  assert.equal(compilePolicy(doc, "identity"), compilePolicy(doc, "identity"));
  const r = S(okR);
  assert.notEqual(compilePolicy(r, "resource"), compilePolicy(S({ ...okR, Sid: "x" }), "resource"));
});

test("compilePolicy evicts the oldest entries beyond its bound, and recompiles them", () => {
  const first = S({ ...ok, Sid: "evict0" });
  const p0 = compilePolicy(first, "identity");
  for (let i = 1; i <= 1100; i++) compilePolicy(S({ ...ok, Sid: `evict${i}` }), "identity");
  const again = compilePolicy(first, "identity");
  assert.notEqual(again, p0);
  assert.equal(again.text, first);
});

test("hasConditions tells whether evaluation may need the request context", () => {
  assert.equal(compilePolicy(S(ok), "identity").hasConditions, false);
  assert.equal(compilePolicy(S({ ...ok, Condition: { Bool: { "aws:SecureTransport": "true" } } }), "identity").hasConditions, true);
  assert.equal(compilePolicy(S({ ...ok, Resource: "arn:aws:secretsmanager:us-east-1:111122223333:secret:${aws:username}/*" }), "identity").hasConditions, true);
});
