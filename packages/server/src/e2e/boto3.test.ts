import { test } from "node:test";
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { hasPythonModule, requireDependency, startTestServer } from "../testing/harness.js";

const SCRIPT = new URL("../../src/e2e/py/boto3_lifecycle.py", import.meta.url).pathname;

test("boto3 through the whole lifecycle", async (t) => {
  if (!requireDependency(t, "python3 with boto3", hasPythonModule("boto3"))) return;
  const s = await startTestServer();
  try {
    // Asynchronous: the server answers from this process's event loop.
    const r = await promisify(execFile)("python3", [SCRIPT], { env: s.awsEnv, encoding: "utf8", timeout: 120_000 }).catch((e: { stdout: string; stderr: string }) => {
      assert.fail(`${e.stdout}\n${e.stderr}`);
    });
    const done = r.stdout.split("\n").filter((l) => l.startsWith("ok "));
    assert.ok(r.stdout.includes("\ndone"), r.stdout);
    assert.equal(done.length, 10, r.stdout);
  } finally {
    await s.close();
  }
});
