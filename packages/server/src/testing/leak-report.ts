/**
 * After a test run with KEYSHIFT_LEAK_SCAN (scripts/run-tests.mjs): looks for every value the
 * tests stored or read in every output the test servers left in the scan directory (logs, audit
 * files and stored audit records, metrics, notification bodies). Exit code 1 if any is found.
 */
import { readdirSync, rmSync, statSync } from "node:fs";
import { join } from "node:path";
import { findLeaks, recorded } from "./leak-scan.js";

const dir = process.argv[2];
if (!dir) {
  console.error("usage: leak-report DIR");
  process.exit(2);
}
const files = readdirSync(dir);
const outputs = files.filter((f) => f.startsWith("out-"));
const bytes = outputs.reduce((n, f) => n + statSync(join(dir, f)).size, 0);
const { needles, leaks } = findLeaks(dir, files);
console.log(`# leak scan: ${needles} distinct values (of ${recorded(dir, files, "values").length} recorded) looked for in ${outputs.length} outputs (${(bytes / 1e6).toFixed(1)} MB: logs, audit, metrics, notifications)`);
if (leaks.length) {
  // Test values, but still: enough to find it, not the whole value.
  for (const l of leaks.slice(0, 50)) console.log(`# LEAK: a value starting ${JSON.stringify(l.value.slice(0, 8))} (${l.value.length} chars) in ${l.file}`);
  console.log(`# leak scan FAILED: ${leaks.length} finding(s); outputs kept in ${dir}`);
  process.exit(1);
}
console.log("# leak scan: no value found in any output");
rmSync(dir, { recursive: true, force: true });
