#!/usr/bin/env node
// Runs every compiled test (packages/*/dist/**/*.test.js) with Node's built-in runner.
// Arguments filter test files by substring: `npm test -- sigv4 store`.
import { existsSync, mkdtempSync, readdirSync, statSync } from "node:fs";
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
const r = spawnSync(process.execPath, ["--test", `--test-concurrency=${concurrency}`, "--test-timeout=600000", ...selected], { stdio: "inherit", env });
let status = r.status ?? 1;
const report = join(root, "packages", "server", "dist", "testing", "leak-report.js");
if (scan && existsSync(report)) {
  const l = spawnSync(process.execPath, [report, scan], { stdio: "inherit", env });
  if (l.status !== 0) status = status || 1;
}
process.exit(status);
