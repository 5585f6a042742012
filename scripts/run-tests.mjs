#!/usr/bin/env node
// Runs every compiled test (packages/*/dist/**/*.test.js) with Node's built-in runner.
// Arguments filter test files by substring: `npm test -- sigv4 store`.
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative, sep } from "node:path";
import { spawnSync } from "node:child_process";
import { cpus } from "node:os";

const root = new URL("..", import.meta.url).pathname;
const files = [];
function walk(dir) {
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) walk(p);
    // Only tests whose source still exists: a deleted test's stale output in dist must not run.
    else if (name.endsWith(".test.js") && existsSync(p.replace(`${sep}dist${sep}`, `${sep}src${sep}`).replace(/\.js$/, ".ts"))) files.push(p);
  }
}
for (const pkg of readdirSync(join(root, "packages"))) {
  const dist = join(root, "packages", pkg, "dist");
  try { walk(dist); } catch { /* package not built */ }
}
const filters = process.argv.slice(2).filter((a) => !a.startsWith("-"));
const selected = files.filter((f) => filters.length === 0 || filters.some((x) => relative(root, f).includes(x))).sort();
if (selected.length === 0) {
  console.error("no test files matched");
  process.exit(1);
}
const concurrency = process.env.TEST_CONCURRENCY ?? String(Math.max(1, Math.min(4, cpus().length)));
// The AWS SDK warns on every process that Node 20 support ends in 2027; the tests know.
const env = { ...process.env, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: "true" };
// The whole run is a leak scan (packages/server/src/testing/leak-scan.ts): the tests' values are
// recorded, the test servers' outputs kept, and afterwards no value may be found in any output.
// KEYSHIFT_LEAK_SCAN=off runs without it.
const scan = process.env.KEYSHIFT_LEAK_SCAN === "off" ? undefined : (process.env.KEYSHIFT_LEAK_SCAN ?? mkdtempSync(join(tmpdir(), "keyshift-leak-scan-")));
if (scan) env.KEYSHIFT_LEAK_SCAN = scan;
// A second copy of the TAP output goes to a file, so the failures can be repeated at the end:
// a CI log is often read from its tail.
const tapDir = mkdtempSync(join(tmpdir(), "keyshift-test-tap-"));
const tapFile = join(tapDir, "results.tap");
const reporters = [`--test-reporter=${process.stdout.isTTY ? "spec" : "tap"}`, "--test-reporter-destination=stdout", "--test-reporter=tap", `--test-reporter-destination=${tapFile}`];
const r = spawnSync(process.execPath, ["--test", ...reporters, `--test-concurrency=${concurrency}`, "--test-timeout=600000", ...selected], { stdio: "inherit", env });
let status = r.status ?? 1;
const report = join(root, "packages", "server", "dist", "testing", "leak-report.js");
if (scan && existsSync(report)) {
  const l = spawnSync(process.execPath, [report, scan], { stdio: "inherit", env });
  if (l.status !== 0) status = status || 1;
}
// Last, so that they end the log.
const failures = existsSync(tapFile) ? failedTests(readFileSync(tapFile, "utf8")) : [];
rmSync(tapDir, { recursive: true, force: true });
if (failures.length > 0) {
  console.log(`\n# ${failures.length} failed test(s):`);
  for (const f of failures) console.log(f);
}
process.exit(status);

/** The innermost failing tests in a TAP stream, each with its path of suites and its diagnostics. */
function failedTests(tap) {
  const lines = tap.split("\n");
  const out = [];
  const stack = [];
  for (let i = 0; i < lines.length; i++) {
    const m = /^( *)(?:# Subtest: (.*)|(not ok|ok) \d+ - (.*))$/.exec(lines[i]);
    if (!m) continue;
    const depth = m[1].length / 4;
    if (m[2] !== undefined) { stack.length = depth; stack[depth] = m[2]; continue; }
    if (m[3] !== "not ok") continue;
    // Diagnostics follow as an indented YAML block between "---" and "...".
    const diag = [];
    if (lines[i + 1]?.trim() === "---") {
      for (let j = i + 2; j < lines.length && lines[j].trim() !== "..."; j++) diag.push(lines[j]);
    }
    // A suite fails when a test inside it fails: report only the tests themselves.
    if (diag.some((l) => /failureType: '?subtestsFailed/.test(l))) continue;
    out.push(`not ok - ${[...stack.slice(0, depth), m[4]].filter(Boolean).join(" > ")}\n${diag.slice(0, 40).join("\n")}`);
  }
  return out;
}
