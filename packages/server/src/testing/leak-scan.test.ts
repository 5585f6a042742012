import { test } from "node:test";
import assert from "node:assert/strict";
import { readdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { tempDir } from "./harness.js";
import { findLeaks, leakNeedles } from "./leak-scan.js";

test("the leak report finds recorded values in outputs, as they are, inside JSON and JSON-escaped; short values are not looked for", () => {
  const dir = tempDir("keyshift-leak-unit-");
  try {
    const values = ["short", "plain-value-0123456789", '{"username":"app-user-0123456789","password":"pa\\"ss-0123456789"}', "never-printed-0123456789", "y".repeat(5000)];
    writeFileSync(join(dir, "values-1.jsonl"), values.map((v) => JSON.stringify(v)).join("\n") + "\n");
    assert.deepEqual([...leakNeedles(values)].sort(), ['pa"ss-0123456789', "never-printed-0123456789", "plain-value-0123456789", values[2]!, "y".repeat(5000)].sort(), "a username is not looked for, a password is");
    writeFileSync(join(dir, "out-1-log"), `{"level":30,"msg":"stored plain-value-0123456789","short":"short"}\n`);
    writeFileSync(join(dir, "out-2-audit.log"), `{"audit":{"userAgent":"x \\"pa\\\\\\"ss-0123456789\\""}}\n`);
    writeFileSync(join(dir, "out-3-metrics"), `keyshift_requests_total{operation="GetSecretValue"} 3 app-user-0123456789\n`);
    writeFileSync(join(dir, "out-4-big"), `x${"y".repeat(5000)}x`);
    // A value that is also a secret's name (a test may store a name as its value) is not a leak.
    writeFileSync(join(dir, "names-1.jsonl"), JSON.stringify("never-printed-0123456789") + "\n");
    writeFileSync(join(dir, "out-5-log"), `{"secretName":"never-printed-0123456789"}`);
    const { leaks } = findLeaks(dir, readdirSync(dir));
    assert.deepEqual(leaks.map((l) => [l.file, l.value]).sort(), [["out-1-log", "plain-value-0123456789"], ["out-2-audit.log", 'pa"ss-0123456789'], ["out-4-big", "y".repeat(5000)]]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
