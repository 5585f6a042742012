import assert from "node:assert/strict";
import { test } from "node:test";
import { getSigningKey } from "@smithy/signature-v4";
import { Sha256 } from "@aws-crypto/sha256-js";
import { SigningKeyCache, deriveSigningKey } from "./signing-key.js";

test("deriveSigningKey equals @smithy/signature-v4's getSigningKey", async () => {
  const creds = { accessKeyId: "AKIDEXAMPLE", secretAccessKey: "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY" };
  const expected = Buffer.from(await getSigningKey(Sha256, creds, "20150830", "us-east-1", "iam"));
  assert.deepEqual(deriveSigningKey(creds.secretAccessKey, "20150830", "us-east-1", "iam"), expected);
  // The signing key from AWS's own SigV4 documentation example.
  assert.equal(expected.toString("hex"), "c4afb1cc5771d871763a393e44b703571b55cc28424d1a5e86da6ed3c154a4b9");
});

test("SigningKeyCache derives once per (key, date, region, service) and again when the secret changes", () => {
  const cache = new SigningKeyCache(10);
  const a = cache.get("AKID", "s1", "20261122", "us-east-1", "secretsmanager");
  assert.equal(cache.get("AKID", "s1", "20261122", "us-east-1", "secretsmanager"), a);
  assert.equal(cache.derivations, 1);
  const others = [["20261123", "us-east-1", "secretsmanager"], ["20261122", "eu-west-1", "secretsmanager"], ["20261122", "us-east-1", "kms"]] as const;
  for (const [date, region, service] of others) {
    assert.notDeepEqual(cache.get("AKID", "s1", date, region, service), a);
  }
  assert.equal(cache.derivations, 4);
  const rotated = cache.get("AKID", "s2", "20261122", "us-east-1", "secretsmanager");
  assert.deepEqual(rotated, deriveSigningKey("s2", "20261122", "us-east-1", "secretsmanager"));
  assert.equal(cache.derivations, 5);
  assert.equal(cache.size, 4);
});

test("SigningKeyCache stays within its capacity and evicts the least recently used key", () => {
  const cache = new SigningKeyCache(2);
  cache.get("A", "s", "20261122", "r", "svc");
  cache.get("B", "s", "20261122", "r", "svc");
  cache.get("A", "s", "20261122", "r", "svc"); // A is now the most recent
  cache.get("C", "s", "20261122", "r", "svc"); // evicts B
  assert.equal(cache.size, 2);
  assert.equal(cache.derivations, 3);
  cache.get("A", "s", "20261122", "r", "svc");
  assert.equal(cache.derivations, 3);
  cache.get("B", "s", "20261122", "r", "svc");
  assert.equal(cache.derivations, 4);
});
