import assert from "node:assert/strict";
import { test } from "node:test";
import { getCanonicalHeaders } from "@smithy/signature-v4";
import { botocoreCanonicalPieces } from "./botocore-oracle.js";
import { canonicalHeaders, trimAll } from "./canonical-headers.js";

const values = ["plain", "a b", "a  b", "  lead", "trail  ", " \t a \t\t b  c\t", "a\tb", "", "   ", "x,y , z", "  many     inner   runs  "];

test("trimAll agrees with @smithy/signature-v4 and botocore", () => {
  const boto = botocoreCanonicalPieces({ headerValues: values }).headerValues;
  for (const [i, value] of values.entries()) {
    const smithy = getCanonicalHeaders({ method: "GET", protocol: "http:", hostname: "h", path: "/", query: {}, headers: { "x-v": value } })["x-v"];
    assert.equal(trimAll(value), smithy, `smithy, ${JSON.stringify(value)}`);
    assert.equal(trimAll(value), boto[i], `botocore, ${JSON.stringify(value)}`);
  }
});

test("trimAll returns the very same string when nothing needs trimming", () => {
  const value = "application/x-amz-json-1.1";
  assert.equal(trimAll(value), value);
});

test("canonicalHeaders follows SignedHeaders order, matches names case-insensitively and joins duplicates", () => {
  const raw = ["Host", "Example.com:8443", "X-Dup", " a  b ", "x-amz-date", "20261122T101010Z", "X-DUP", "c", "X-Unsigned", "z"];
  assert.equal(
    canonicalHeaders(raw, ["host", "x-amz-date", "x-dup", "x-missing"]),
    "host:Example.com:8443\nx-amz-date:20261122T101010Z\nx-dup:a b,c\nx-missing:\n",
  );
});
