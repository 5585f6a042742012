import { test } from "node:test";
import assert from "node:assert/strict";
import { compileGlob, compilePieces } from "./wildcard.js";

const cases: [pattern: string, input: string, arn: boolean, expected: boolean][] = [
  ["*", "anything at all", false, true],
  ["*", "*", true, true],
  ["abc", "abc", false, true],
  ["abc", "abcd", false, false],
  ["ab*", "abcdef", false, true],
  ["ab*", "a", false, false],
  ["a?c", "abc", false, true],
  ["a?c", "abbc", false, false],
  ["*.txt", "dir/file.txt", false, true],
  ["a*b*c", "aXXbYYc", false, true],
  ["a*b*c", "aXXbYY", false, false],
  ["a.c", "abc", false, false], // "." is literal, not a RegExp dot
  ["(x)+", "(x)+", false, true],
  ["line*", "line1\nline2", false, true],
  // ARNs: a mid-segment * stays within its segment; a segment-ending * crosses colons.
  ["arn:aws:secretsmanager:us-east-1:111122223333:secret:/prod/*", "arn:aws:secretsmanager:us-east-1:111122223333:secret:/prod/db-AbCdEf", true, true],
  ["arn:aws:secretsmanager:us-east-1:111122223333:secret:/prod/*", "arn:aws:secretsmanager:us-east-1:111122223333:secret:/dev/db-AbCdEf", true, false],
  ["arn:aws:secretsmanager:*:111122223333:secret:db-??????", "arn:aws:secretsmanager:eu-west-1:111122223333:secret:db-AbCdEf", true, true],
  ["arn:aws:secretsmanager:us-*-1:111122223333:secret:x", "arn:aws:secretsmanager:us-east-1:111122223333:secret:x", true, true],
  ["arn:aws:secretsmanager:us-*-1:111122223333:secret:x", "arn:aws:secretsmanager:us-east:9:secret:-1:111122223333:secret:x", true, false],
  ["arn:aws:secretsmanager:*", "arn:aws:secretsmanager:us-east-1:111122223333:secret:x", true, true],
  ["arn:aws:secretsmanager:us-east-1:?:secret:x", "arn:aws:secretsmanager:us-east-1:::secret:x", true, false],
  ["arn:aws:secretsmanager:us-east-1:111122223333:secret:*", "*", true, false],
];

for (const [pattern, input, arn, expected] of cases) {
  test(`glob ${JSON.stringify(pattern)}${arn ? " (arn)" : ""} ${expected ? "matches" : "does not match"} ${JSON.stringify(input)}`, () => {
    assert.equal(compileGlob(pattern, { arn })(input), expected);
  });
}

test("folded globs compare lower-cased input", () => {
  const m = compileGlob("SecretsManager:Get*", { folded: true });
  assert.equal(m("secretsmanager:getsecretvalue"), true);
  assert.equal(m("secretsmanager:putsecretvalue"), false);
});

test("literal pieces keep * and ? literal", () => {
  const m = compilePieces([{ text: "arn:aws:secretsmanager:us-east-1:1:secret:home/", wild: true }, { text: "a*", wild: false }, { text: "/*", wild: true }], { arn: true });
  assert.equal(m("arn:aws:secretsmanager:us-east-1:1:secret:home/a*/x"), true);
  assert.equal(m("arn:aws:secretsmanager:us-east-1:1:secret:home/abc/x"), false);
});
