/**
 * Replays the real-AWS Secrets Manager snapshots against Keyshift with boto3.
 *
 * groundtruth.snapshot.json is LocalStack's tests/aws/services/secretsmanager/
 * test_secretsmanager.snapshot.json (Apache-2.0, commit 4651d181ae96), recorded against real AWS;
 * see /work/shared/reference/aws-ground-truth/README.md. py/groundtruth_replay.py rebuilds the
 * boto3 calls of every entry, runs them against a fresh server, normalises the responses the way
 * the recording was normalised and reports the differences. There is one subtest per snapshot
 * entry, named after it.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { TEST_KEY_ID, TEST_REGION, TEST_SECRET, hasCommand, hasPythonModule, requireDependency, runProcess, startTestServer } from "../testing/harness.js";
import { callApi } from "../cli/api-client.js";
import { startPythonRotationFunction } from "../testing/python-rotation-function.js";

const SCRIPT = fileURLToPath(new URL("../../src/e2e/py/groundtruth_replay.py", import.meta.url));
const SNAPSHOT = process.env.KEYSHIFT_GROUNDTRUTH_SNAPSHOT ?? fileURLToPath(new URL("../../src/e2e/groundtruth.snapshot.json", import.meta.url));
const PREFIX = "tests/aws/services/secretsmanager/test_secretsmanager.py::TestSecretsManager::";

/** Entries that cannot pass yet, and why. */
/** Entries that cannot pass yet, with the reason. (The rotation ones run against a registered HTTP rotation function.) */
const TODO: Record<string, string> = {};

interface ScenarioResult {
  name: string;
  ok: boolean;
  diffs: string[];
  todo: string | null;
  actual?: Record<string, unknown>;
}

function runPython(args: string[], env: NodeJS.ProcessEnv, timeoutMs = 120_000) {
  return runProcess("python3", [SCRIPT, ...args], env, timeoutMs);
}

function parseLines<T>(stdout: string): T[] {
  return stdout
    .split("\n")
    .filter((l) => l.startsWith("{"))
    .map((l) => JSON.parse(l) as T);
}

const snapshot = JSON.parse(readFileSync(SNAPSHOT, "utf8")) as Record<string, { "recorded-content": Record<string, unknown> }>;
const ids = Object.keys(snapshot).map((k) => (k.startsWith(PREFIX) ? k.slice(PREFIX.length) : k));
const boto3Available = () => hasCommand("python3") && hasPythonModule("boto3");

test("the snapshot file holds the 55 real-AWS entries", () => {
  assert.equal(ids.length, 55);
  assert.equal(new Set(ids).size, 55);
  for (const id of Object.keys(TODO)) assert.ok(ids.includes(id), `todo entry ${id} is in the snapshot`);
});

test("the replay's comparator accepts each recorded response and rejects mutated copies", async (t) => {
  if (!requireDependency(t, "python3 with boto3", boto3Available())) return;
  const r = await runPython(["--snapshot", SNAPSHOT, "--self-check"], { PATH: process.env.PATH, HOME: process.env.HOME });
  assert.equal(r.code, 0, r.stderr);
  const [check] = parseLines<{ ok: boolean; mutationsChecked: number; failures: string[] }>(r.stdout);
  assert.ok(check, `no self-check report:\n${r.stdout}\n${r.stderr}`);
  assert.deepEqual(check.failures, []);
  assert.equal(check.ok, true);
  assert.ok(check.mutationsChecked > 1000, `only ${check.mutationsChecked} mutations checked`);
});

test("real-AWS snapshots replayed against Keyshift with boto3", async (t) => {
  if (!requireDependency(t, "python3 with boto3", boto3Available())) return;
  const s = await startTestServer();
  // The snapshot's rotation entries used a Lambda: here an aws-samples style Python function behind Keyshift's HTTP rotator.
  const fn = await startPythonRotationFunction(s.awsEnv);
  let results: Map<string, ScenarioResult>;
  try {
    const env = { AWS_ACCESS_KEY_ID: TEST_KEY_ID, AWS_SECRET_ACCESS_KEY: TEST_SECRET };
    await callApi({ endpointUrl: s.endpoint, region: TEST_REGION }, "PUT", "/v1/rotators/groundtruth-rotation", { Url: fn.url }, env);
    const lambdaArn = `arn:aws:lambda:${TEST_REGION}:${s.app.accountId}:function:groundtruth-rotation`;
    const r = await runPython(["--snapshot", SNAPSHOT], { ...s.awsEnv, KEYSHIFT_ACCOUNT_ID: s.app.accountId, GROUNDTRUTH_LAMBDA_ARN: lambdaArn });
    assert.equal(r.code, 0, `replay script failed:\n${r.stderr}`);
    results = new Map(parseLines<ScenarioResult>(r.stdout).map((x) => [x.name, x]));
  } finally {
    fn.stop();
    await s.close();
  }
  assert.equal(results.size, ids.length, "one report per snapshot entry");
  for (const id of ids) {
    const todo = TODO[id];
    await t.test(id, todo ? { todo } : {}, () => {
      const r = results.get(id);
      assert.ok(r, `no report for ${id}`);
      const detail = r.ok ? "" : `\nactual responses (normalised):\n${JSON.stringify(r.actual, null, 1)}`;
      assert.deepEqual(r.diffs, [], `${id} differs from real AWS:\n  ${r.diffs.join("\n  ")}${detail}`);
      assert.equal(r.ok, true);
    });
  }
});
