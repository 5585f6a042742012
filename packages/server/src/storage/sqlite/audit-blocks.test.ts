import { test } from "node:test";
import assert from "node:assert/strict";
import { GENESIS, seal } from "../../audit/chain.js";
import type { AuditEntry, AuditRecord } from "../../audit/records.js";
import { ChainVerifier } from "../../audit/verify.js";
import { EMPTY_HEAD, decodeBlock, encodeBlock, encodeEntries, sealEntries, tupleTexts } from "./audit-blocks.js";

const key = Buffer.alloc(32, 3);
const entries: AuditEntry[] = [
  { time: 1, requestId: "a", api: "secretsmanager", operation: "GetSecretValue", accountId: "111122223333", principalArn: "arn:aws:iam::111122223333:user/u", accessKeyId: "KSAK", region: "us-east-1", sourceIp: "127.0.0.1", userAgent: 'ua "quoted" \u2028', secretArn: "arn:aws:secretsmanager:us-east-1:111122223333:secret:s-abcdef", secretName: "s", versionId: "v", versionStage: "AWSCURRENT", outcome: "success", status: 200, durationMs: 0.123 },
  { time: 3, requestId: "b", api: "management", operation: "GET /v1/changes", sourceIp: "::1", userAgent: "", outcome: "denied", status: 403, errorCode: "AccessDeniedException", durationMs: 12.5 },
  { time: 2, requestId: "c", api: "secretsmanager", operation: "ListSecrets", accountId: "111122223333", sourceIp: "10.0.0.1", userAgent: "x", outcome: "error", status: 400, errorCode: "ValidationException", durationMs: 0 },
];

test("sealing encoded entries gives the records seal() gives, block and keys included", () => {
  let prev = GENESIS;
  const expected: AuditRecord[] = entries.map((e, i) => {
    const r = seal(key, "c1", i + 1, prev, e);
    prev = r.hash;
    return r;
  });
  const { block, keys, result } = sealEntries(key, "c1", EMPTY_HEAD, encodeEntries(entries), { checkpointEvery: 1000, checkpoint: false, time: 9 });
  assert.deepEqual(result.hashes, expected.map((r) => r.hash));
  assert.equal(result.firstSeq, 1);
  assert.equal(result.prevHash, GENESIS);
  assert.deepEqual(result.checkpoints, []);
  assert.deepEqual(block, encodeBlock(expected));
  assert.deepEqual(decodeBlock("c1", block!.records), JSON.parse(JSON.stringify(expected)));
  assert.deepEqual([...keys].sort(), ["a:111122223333", "p:arn:aws:iam::111122223333:user/u", "s:arn:aws:secretsmanager:us-east-1:111122223333:secret:s-abcdef"]);
  assert.deepEqual([block!.minTime, block!.maxTime], [1, 3]);

  // On top of a head, with a checkpoint due by count and then on request; the verifier accepts the result.
  const head = { seq: 3, hash: expected[2]!.hash, checkpointSeq: 0 };
  const next = sealEntries(key, "c1", head, encodeEntries(entries.slice(0, 1)), { checkpointEvery: 4, checkpoint: false, time: 9 });
  assert.equal(next.result.firstSeq, 4);
  assert.equal(next.result.checkpoints.length, 1);
  const v = new ChainVerifier(key, "c1", next.result.checkpoints);
  for (const r of [...decodeBlock("c1", block!.records), ...decodeBlock("c1", next.block!.records)]) assert.ok(v.push(r), JSON.stringify(v.problem));
  assert.equal(v.finish().problem, undefined);
  const forced = sealEntries(key, "c1", { seq: 4, hash: next.result.hashes[0]!, checkpointSeq: 3 }, encodeEntries([]), { checkpointEvery: 1000, checkpoint: true, time: 9 });
  assert.equal(forced.block, undefined);
  assert.deepEqual(forced.result.checkpoints.map((c) => c.seq), [4]);
});

test("the tuple texts of encoded entries are each tuple's own JSON, whatever the strings hold", () => {
  const tricky = ['a"],["b', "back\\slash\\", 'quote\\"', "line\nbreak\ttab", "üñí€😀", "]", "[", ",", "\u0000\u001f", ""];
  const tuples = tricky.map((s, i) => [i - 3, s, null, 1.5e-7, s.length ? s : null]);
  assert.deepEqual(tupleTexts(JSON.stringify(tuples)), tuples.map((t) => JSON.stringify(t)));
  assert.deepEqual(tupleTexts("[]"), []);
  assert.deepEqual(tupleTexts(JSON.stringify([[1]])), ["[1]"]);
});
