import assert from "node:assert/strict";
import { test } from "node:test";
import { botocoreCanonicalPieces } from "./botocore-oracle.js";
import { canonicalUri } from "./canonical-uri.js";
import { smithyCanonicalPath } from "./smithy-oracle.js";

// Paths as they arrive on the wire (already percent-encoded once by the client).
const paths = [
  "/",
  "/a/b/c",
  "/a/b/c/",
  "/a%20b/%E2%82%AC/c%2Fd",
  "/a/./b/../c//d/",
  "//double//slash//",
  "/a/b/../../..",
  "/../a",
  "/.",
  "/./",
  "/.hidden/..x/x..",
  "/~user/a-b_c.d/e+f/g:h@i!$&'()*,;=",
  "/%7e/%7E/%2e/%2E%2E",
  "/trailing%20space%20",
];

test("canonicalUri matches @smithy/signature-v4 and botocore on every path", () => {
  const boto = botocoreCanonicalPieces({ paths }).paths;
  for (const [i, path] of paths.entries()) {
    const ours = canonicalUri(path);
    assert.equal(ours, smithyCanonicalPath(path), `smithy, path ${path}`);
    assert.equal(ours, boto[i], `botocore, path ${path}`);
  }
});

test("canonicalUri double-encodes and normalises as documented", () => {
  assert.equal(canonicalUri("/a%20b//./c/"), "/a%2520b/c/");
  assert.equal(canonicalUri("/a/b/../../.."), "/");
  assert.equal(canonicalUri("/x+y"), "/x%2By");
  assert.equal(canonicalUri(""), "/");
});
