import assert from "node:assert/strict";
import { test } from "node:test";
import { getCanonicalQuery } from "@smithy/signature-v4";
import { botocoreCanonicalPieces } from "./botocore-oracle.js";
import { canonicalQuery } from "./canonical-query.js";
import { smithyQueryString } from "./smithy-oracle.js";

// Decoded parameters; each list is one query string.
const queries: [string, string][][] = [
  [],
  [["a", "1"]],
  [["b", "2"], ["a", "1"]],
  [["a", "2"], ["a", "1"], ["a", "10"]],
  [["a-b", "1"], ["a", "2"], ["a_b", "3"], ["A", "4"]],
  [["sp", "a b"], ["plus", "a+b"], ["tilde", "~x"], ["empty", ""]],
  [["reserved", "/?#[]@!$&'()*+,;="], ["%", "%25"]],
  [["uni", "€ü🔑"], ["ключ", "значение"]],
];

function toSmithyQuery(pairs: [string, string][]): Record<string, string | string[]> {
  const query: Record<string, string | string[]> = {};
  for (const [k, v] of pairs) {
    const prev = query[k];
    query[k] = prev === undefined ? v : Array.isArray(prev) ? [...prev, v] : [prev, v];
  }
  return query;
}

test("canonicalQuery of the SDK v3 wire form equals what @smithy/signature-v4 signs", () => {
  for (const pairs of queries) {
    const query = toSmithyQuery(pairs);
    const wire = smithyQueryString(query).slice(1);
    assert.equal(canonicalQuery(wire), getCanonicalQuery({ method: "GET", protocol: "http:", hostname: "h", path: "/", headers: {}, query }), wire);
  }
});

test("canonicalQuery of botocore's form-encoded wire form equals what botocore signs", () => {
  const boto = botocoreCanonicalPieces({ queries }).queries;
  for (const { wire, canonical } of boto) assert.equal(canonicalQuery(wire), canonical, wire);
});

test("canonicalQuery handles bare names, empty pairs, lower-case and invalid escapes", () => {
  assert.equal(canonicalQuery("flag&b=%2f&&a=%zz&c=%4"), "a=%25zz&b=%2F&c=%254&flag=");
  assert.equal(canonicalQuery("x=%7E%41"), "x=~A");
  assert.equal(canonicalQuery(""), "");
});
