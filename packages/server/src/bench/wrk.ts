import { execFile, execFileSync } from "node:child_process";
import { rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { tempDir } from "../testing/harness.js";
import type { LoadOptions, LoadResult } from "./load-generator.js";

let found: boolean | undefined;

/** Whether wrk (Debian's package `wrk`) is on the PATH. */
export function wrkAvailable(): boolean {
  if (found === undefined) {
    try {
      execFileSync("wrk", ["--version"], { stdio: "ignore" });
      found = true;
    } catch (e) {
      // wrk --version exits 1 after printing its version; only a missing binary throws ENOENT.
      found = (e as NodeJS.ErrnoException).code !== "ENOENT";
    }
  }
  return found;
}

/**
 * The Lua side: the pre-built raw requests (NUL-separated in a file) are sent in turn by every
 * connection, and done() prints one JSON line with the counts and the latency percentiles (µs).
 */
const SCRIPT = `
local reqs, n, i = {}, 0, 0
local f = assert(io.open(os.getenv("KEYSHIFT_WRK_REQUESTS"), "rb"))
local all = f:read("*a")
f:close()
for r in string.gmatch(all, "([^%z]+)") do n = n + 1; reqs[n] = r end
request = function()
  i = i + 1
  return reqs[(i % n) + 1]
end
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format('KEYSHIFT_WRK {"requests":%d,"us":%d,"p50":%d,"p90":%d,"p99":%d,"non2xx":%d,"errors":%d}\\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(90), latency:percentile(99),
    e.status, e.connect + e.read + e.write + e.timeout))
end
`;

function wrk(dir: string, o: LoadOptions, ms: number): Promise<LoadResult> {
  const args = ["-t1", `-c${o.connections}`, `-d${Math.max(1, Math.round(ms / 1000))}s`, "--timeout", "10s", "-s", join(dir, "load.lua"), `http://${o.host}:${o.port}/`];
  return new Promise((resolve, reject) => {
    execFile("wrk", args, { env: { ...process.env, KEYSHIFT_WRK_REQUESTS: join(dir, "requests") } }, (err, stdout, stderr) => {
      const m = /KEYSHIFT_WRK (\{.*\})/.exec(stdout);
      if (err || !m) return reject(new Error(`wrk failed: ${err?.message ?? ""} ${stdout} ${stderr}`));
      const r = JSON.parse(m[1]!) as { requests: number; us: number; p50: number; p90: number; p99: number; non2xx: number; errors: number };
      resolve({ requests: r.requests, rps: r.requests / (r.us / 1e6), p50: r.p50 / 1000, p90: r.p90 / 1000, p99: r.p99 / 1000, non2xx: r.non2xx, errors: r.errors });
    });
  });
}

/**
 * runLoad's contract on wrk (one thread, closed loop, the same pre-built requests): a warm-up run,
 * then the measured one. wrk is written in C and spends a few µs per request, where the Node.js
 * generator spends tens: on a 2-core machine the generator shares the server's cores, and the
 * lighter it is, the more of them the server under test gets.
 */
export async function runWrk(o: LoadOptions): Promise<LoadResult> {
  const dir = tempDir("keyshift-wrk-");
  try {
    writeFileSync(join(dir, "requests"), Buffer.concat(o.requests.flatMap((r) => [r, Buffer.from([0])])));
    writeFileSync(join(dir, "load.lua"), SCRIPT);
    if ((o.warmupMs ?? 1000) > 0) await wrk(dir, o, o.warmupMs ?? 1000);
    return await wrk(dir, o, o.durationMs);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
