import assert from "node:assert/strict";
import { test } from "node:test";
import { ServiceError } from "@keyshift/protocol";
import { checkClockSkew, formatAmzDate, parseAmzDate, readRequestTime } from "./request-time.js";

const T = Date.UTC(2026, 10, 22, 10, 10, 10);

test("parseAmzDate accepts ISO-8601 basic format only, with real calendar dates", () => {
  assert.equal(parseAmzDate("20261122T101010Z"), T);
  assert.equal(parseAmzDate("20240229T000000Z"), Date.UTC(2024, 1, 29));
  const bad = ["2026-11-22T10:10:10Z", "20261122T101010", "20261122101010Z", "20261131T000000Z", "20230229T000000Z"];
  bad.push("20261322T000000Z", "20261122T246000Z", "2026112aT101010Z", "20261122T101060Z", "");
  for (const value of bad) {
    assert.ok(Number.isNaN(parseAmzDate(value)), value);
  }
});

test("formatAmzDate drops milliseconds", () => {
  assert.equal(formatAmzDate(T + 999), "20261122T101010Z");
});

test("readRequestTime prefers X-Amz-Date, falls back to Date, and rejects what does not parse", () => {
  const both = { "x-amz-date": "20261122T101010Z", date: "Mon, 01 Jan 2001 00:00:00 GMT" };
  assert.deepEqual(readRequestTime(both), { header: "X-Amz-Date", amzDate: "20261122T101010Z", ms: T });
  assert.deepEqual(readRequestTime({ date: "Sun, 22 Nov 2026 10:10:10 GMT" }), { header: "Date", amzDate: "20261122T101010Z", ms: T });
  assert.equal(readRequestTime({}), undefined);
  assert.throws(
    () => readRequestTime({ "x-amz-date": "2026-11-22T10:10:10Z" }),
    {
      code: "IncompleteSignatureException",
      message: "Date must be in ISO-8601 'basic format'. Got '2026-11-22T10:10:10Z'. See http://en.wikipedia.org/wiki/ISO_8601",
    },
  );
  assert.throws(() => readRequestTime({ date: "yesterday" }), ServiceError);
});

test("checkClockSkew accepts the bounds and reports AWS's messages past them", () => {
  const skew = 15 * 60_000;
  checkClockSkew("20261122T101010Z", T, T + skew, skew);
  checkClockSkew("20261122T101010Z", T, T - skew, skew);
  assert.throws(
    () => checkClockSkew("20261122T101010Z", T, Date.UTC(2026, 10, 22, 10, 40, 0), skew),
    { code: "InvalidSignatureException", message: "Signature expired: 20261122T101010Z is now earlier than 20261122T102500Z (20261122T104000Z - 15 min.)" },
  );
  assert.throws(
    () => checkClockSkew("20261122T101010Z", T, Date.UTC(2026, 10, 22, 9, 40, 0), skew),
    {
      code: "InvalidSignatureException",
      message: "Signature not yet current: 20261122T101010Z is still later than 20261122T095500Z (20261122T094000Z + 15 min.)",
    },
  );
  assert.throws(() => checkClockSkew("20261122T101010Z", T, T + skew + 1000, skew), { code: "InvalidSignatureException" });
  assert.throws(() => checkClockSkew("20261122T101010Z", T, T - skew - 1000, skew), { code: "InvalidSignatureException" });
});
