import { test } from "node:test";
import assert from "node:assert/strict";
import { compileCondition } from "./condition.js";
import { contextFromRecord } from "./context-key.js";
import type { ContextValue, EvalRequest } from "./types.js";

const req = (context: Record<string, ContextValue>): EvalRequest => ({
  action: "secretsmanager:GetSecretValue",
  resource: "arn:aws:secretsmanager:us-east-1:111122223333:secret:db-AbCdEf",
  resourceAccount: "111122223333",
  principal: { arn: "arn:aws:iam::111122223333:user/alice", account: "111122223333", username: "alice" },
  context: contextFromRecord(context),
});

const K = "test:key";
const cases: [name: string, condition: Record<string, Record<string, unknown>>, context: Record<string, ContextValue>, expected: boolean][] = [
  ["StringEquals matches", { StringEquals: { [K]: "a" } }, { [K]: "a" }, true],
  ["StringEquals is case-sensitive", { StringEquals: { [K]: "a" } }, { [K]: "A" }, false],
  ["StringEquals is false on a missing key", { StringEquals: { [K]: "a" } }, {}, false],
  ["StringEquals compares a number as text", { StringEquals: { [K]: "42" } }, { [K]: 42 }, true],
  ["StringNotEquals with another value", { StringNotEquals: { [K]: "a" } }, { [K]: "b" }, true],
  ["StringNotEquals with a listed value", { StringNotEquals: { [K]: ["a", "b"] } }, { [K]: "b" }, false],
  ["StringNotEquals is true on a missing key", { StringNotEquals: { [K]: "a" } }, {}, true],
  ["StringEqualsIgnoreCase", { StringEqualsIgnoreCase: { [K]: "AbC" } }, { [K]: "aBc" }, true],
  ["StringNotEqualsIgnoreCase with the value in another case", { StringNotEqualsIgnoreCase: { [K]: "AbC" } }, { [K]: "abc" }, false],
  ["StringLike *", { StringLike: { [K]: "prod/*" } }, { [K]: "prod/db" }, true],
  ["StringLike ?", { StringLike: { [K]: "v?" } }, { [K]: "v10" }, false],
  ["StringLike * crosses colons", { StringLike: { [K]: "a*z" } }, { [K]: "a:b:z" }, true],
  ["StringNotLike", { StringNotLike: { [K]: "prod/*" } }, { [K]: "dev/db" }, true],
  ["StringNotLike on a missing key", { StringNotLike: { [K]: "prod/*" } }, {}, true],
  ["ArnEquals with a wildcard (same as ArnLike)", { ArnEquals: { [K]: "arn:aws:iam::111122223333:user/*" } }, { [K]: "arn:aws:iam::111122223333:user/alice" }, true],
  ["ArnLike segment-wise", { ArnLike: { [K]: "arn:aws:iam::*:user/alice" } }, { [K]: "arn:aws:iam::444455556666:user/alice" }, true],
  ["ArnLike another account", { ArnLike: { [K]: "arn:aws:iam::111122223333:*" } }, { [K]: "arn:aws:iam::444455556666:user/alice" }, false],
  ["ArnNotEquals", { ArnNotEquals: { [K]: "arn:aws:iam::111122223333:user/alice" } }, { [K]: "arn:aws:iam::111122223333:user/bob" }, true],
  ["ArnNotLike with a match", { ArnNotLike: { [K]: "arn:aws:iam::111122223333:user/*" } }, { [K]: "arn:aws:iam::111122223333:user/bob" }, false],
  ["NumericEquals", { NumericEquals: { [K]: "10" } }, { [K]: 10 }, true],
  ["NumericEquals with a string request value", { NumericEquals: { [K]: 10 } }, { [K]: "10.0" }, true],
  ["NumericNotEquals", { NumericNotEquals: { [K]: "10" } }, { [K]: 11 }, true],
  ["NumericLessThan", { NumericLessThan: { [K]: "10" } }, { [K]: 9 }, true],
  ["NumericLessThan at the bound", { NumericLessThan: { [K]: "10" } }, { [K]: 10 }, false],
  ["NumericLessThanEquals at the bound", { NumericLessThanEquals: { [K]: "10" } }, { [K]: 10 }, true],
  ["NumericGreaterThan", { NumericGreaterThan: { [K]: "-1.5" } }, { [K]: "0" }, true],
  ["NumericGreaterThanEquals", { NumericGreaterThanEquals: { [K]: "30" } }, { [K]: 29 }, false],
  ["Numeric on a non-number request value", { NumericEquals: { [K]: "1" } }, { [K]: "one" }, false],
  ["DateEquals ISO vs epoch", { DateEquals: { [K]: "2026-01-01T00:00:00Z" } }, { [K]: 1767225600 }, true],
  ["DateNotEquals", { DateNotEquals: { [K]: "2026-01-01T00:00:00Z" } }, { [K]: "2026-01-02T00:00:00Z" }, true],
  ["DateLessThan with a time zone offset", { DateLessThan: { [K]: "2026-01-01T00:00:00+01:00" } }, { [K]: "2025-12-31T23:30:00Z" }, false],
  ["DateLessThanEquals a bare date", { DateLessThanEquals: { [K]: "2026-01-01" } }, { [K]: "2026-01-01T00:00:00Z" }, true],
  ["DateGreaterThan", { DateGreaterThan: { [K]: "2020-01-01T00:00:00Z" } }, { [K]: "2026-11-23T01:00:00.123Z" }, true],
  ["DateGreaterThanEquals with epoch text", { DateGreaterThanEquals: { [K]: "1767225600" } }, { [K]: "2025-12-31T23:59:59Z" }, false],
  ["a time without a zone is UTC", { DateEquals: { [K]: "2026-01-01T10:00:00" } }, { [K]: "2026-01-01T10:00:00Z" }, true],
  ["an offset without colon", { DateEquals: { [K]: "2026-01-01T11:00:00+0100" } }, { [K]: "2026-01-01T10:00:00Z" }, true],
  ["a timestamp with milliseconds", { DateLessThan: { [K]: "2026-01-01T00:00:00.500Z" } }, { [K]: "2026-01-01T00:00:00.499Z" }, true],
  ["an out-of-range month doesn't roll over", { DateGreaterThan: { [K]: "2020-01-01T00:00:00Z" } }, { [K]: "2026-13-01T00:00:00Z" }, false],
  ["Date on an unparsable request value", { DateGreaterThan: { [K]: "2020-01-01" } }, { [K]: "yesterday" }, false],
  ["Bool true", { Bool: { [K]: "true" } }, { [K]: true }, true],
  ["Bool takes JSON booleans and strings alike", { Bool: { [K]: false } }, { [K]: "false" }, true],
  ["Bool false vs true", { Bool: { [K]: "false" } }, { [K]: true }, false],
  ["BinaryEquals", { BinaryEquals: { [K]: "QmluYXJ5" } }, { [K]: "QmluYXJ5" }, true],
  ["BinaryEquals another value", { BinaryEquals: { [K]: "QmluYXJ5" } }, { [K]: "QmluYXJ6" }, false],
  ["IpAddress IPv4", { IpAddress: { [K]: "10.0.0.0/8" } }, { [K]: "10.1.2.3" }, true],
  ["IpAddress IPv6", { IpAddress: { [K]: "2001:db8::/32" } }, { [K]: "2001:db8::1" }, true],
  ["IpAddress on a non-address", { IpAddress: { [K]: "10.0.0.0/8" } }, { [K]: "example.com" }, false],
  ["NotIpAddress inside", { NotIpAddress: { [K]: "10.0.0.0/8" } }, { [K]: "10.1.2.3" }, false],
  ["NotIpAddress on a missing key", { NotIpAddress: { [K]: "10.0.0.0/8" } }, {}, true],
  ["Null true on a missing key", { Null: { [K]: "true" } }, {}, true],
  ["Null true on a present key", { Null: { [K]: "true" } }, { [K]: "x" }, false],
  ["Null false on a present key", { Null: { [K]: false } }, { [K]: "x" }, true],
  ["Null true on an empty list", { Null: { [K]: "true" } }, { [K]: [] }, true],
  ["IfExists on a missing key", { NumericLessThanIfExists: { [K]: "5" } }, {}, true],
  ["IfExists on a present key", { NumericLessThanIfExists: { [K]: "5" } }, { [K]: 7 }, false],
  ["negated IfExists on a missing key", { StringNotEqualsIfExists: { [K]: "a" } }, {}, true],
  ["negated IfExists on the excluded value", { StringNotEqualsIfExists: { [K]: "a" } }, { [K]: "a" }, false],
  ["a multivalued key without qualifier matches on any value", { StringEquals: { [K]: "b" } }, { [K]: ["a", "b"] }, true],
  ["ForAnyValue with one match", { "ForAnyValue:StringEquals": { [K]: ["x", "y"] } }, { [K]: ["a", "y"] }, true],
  ["ForAnyValue without a match", { "ForAnyValue:StringEquals": { [K]: ["x", "y"] } }, { [K]: ["a", "b"] }, false],
  ["ForAnyValue on a missing key", { "ForAnyValue:StringEquals": { [K]: "x" } }, {}, false],
  ["ForAnyValue on a single value", { "ForAnyValue:StringLike": { [K]: "x*" } }, { [K]: "xyz" }, true],
  ["ForAnyValue IfExists on a missing key", { "ForAnyValue:StringEqualsIfExists": { [K]: "x" } }, {}, true],
  ["ForAnyValue:StringNotEquals: some value outside the set", { "ForAnyValue:StringNotEquals": { [K]: ["x", "y"] } }, { [K]: ["x", "z"] }, true],
  ["ForAnyValue:StringNotEquals: all values inside", { "ForAnyValue:StringNotEquals": { [K]: ["x", "y"] } }, { [K]: ["x", "y"] }, false],
  ["ForAllValues subset", { "ForAllValues:StringEquals": { [K]: ["x", "y"] } }, { [K]: ["y"] }, true],
  ["ForAllValues with an outsider", { "ForAllValues:StringEquals": { [K]: ["x", "y"] } }, { [K]: ["y", "z"] }, false],
  ["ForAllValues on a missing key", { "ForAllValues:StringEquals": { [K]: "x" } }, {}, true],
  ["ForAllValues:StringNotLike: none match", { "ForAllValues:StringNotLike": { [K]: "aws:*" } }, { [K]: ["env", "team"] }, true],
  ["ForAllValues:StringNotLike: one matches", { "ForAllValues:StringNotLike": { [K]: "aws:*" } }, { [K]: ["env", "aws:x"] }, false],
  ["ForAllValues:NumericLessThan", { "ForAllValues:NumericLessThan": { [K]: 10 } }, { [K]: ["1", "9"] }, true],
  ["two keys ANDed", { StringEquals: { [K]: "a", "test:other": "b" } }, { [K]: "a", "test:other": "c" }, false],
  ["two operators ANDed", { StringEquals: { [K]: "a" }, Null: { "test:other": "false" } }, { [K]: "a", "test:other": "c" }, true],
  ["a variable in a value", { StringEquals: { [K]: "${aws:username}" } }, { [K]: "alice" }, true],
  ["a variable in a StringLike pattern", { StringLike: { [K]: "home/${aws:username}/*" } }, { [K]: "home/alice/x" }, true],
  ["a variable without value doesn't match, the next value may", { StringEquals: { [K]: ["${test:nothing}", "b"] } }, { [K]: "b" }, true],
  ["a variable without value doesn't match StringNotEquals's exclusion", { StringNotEquals: { [K]: "${test:nothing}" } }, { [K]: "" }, true],
  ["a variable default", { StringEquals: { [K]: "${test:nothing, 'fallback'}" } }, { [K]: "fallback" }, true],
  ["a $ escape", { StringEquals: { [K]: "cost${$}" } }, { [K]: "cost$" }, true],
  ["a ? escape is literal in StringLike", { StringLike: { [K]: "a${?}" } }, { [K]: "ab" }, false],
];

for (const [name, condition, context, expected] of cases) {
  test(`condition: ${name}`, () => {
    assert.equal(compileCondition(condition, "Condition", true)(req(context)), expected);
  });
}

test("condition: in a 2008-10-17 document ${...} is literal", () => {
  assert.equal(compileCondition({ StringEquals: { [K]: "${aws:username}" } }, "Condition", false)(req({ [K]: "${aws:username}" })), true);
});
