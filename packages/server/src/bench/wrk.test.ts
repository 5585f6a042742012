import { test } from "node:test";
import assert from "node:assert/strict";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { requireDependency } from "../testing/harness.js";
import { rawRequest } from "./load-generator.js";
import { runWrk, wrkAvailable } from "./wrk.js";

test("bench wrk runner: sends the pre-built requests in turn and counts answers, non-2xx and percentiles", async (t) => {
  if (!requireDependency(t, "wrk", wrkAvailable())) return;
  const seen = new Map<string, number>();
  const server = createServer((req, res) => {
    let body = "";
    req.on("data", (d: Buffer) => (body += d.toString()));
    req.on("end", () => {
      seen.set(body, (seen.get(body) ?? 0) + 1);
      res.writeHead(body === "fail" ? 500 : 200, { "content-type": "text/plain" }).end("ok");
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  try {
    const port = (server.address() as AddressInfo).port;
    const requests = ["a", "b", "fail"].map((b) => rawRequest("/", { host: `127.0.0.1:${port}` }, b));
    const r = await runWrk({ host: "127.0.0.1", port, requests, connections: 2, durationMs: 1000, warmupMs: 0 });
    assert.ok(r.requests > 10, `answers counted: ${r.requests}`);
    assert.ok(r.rps > 0 && Number.isFinite(r.rps));
    assert.ok(r.p50 > 0 && r.p50 <= r.p99, `percentiles in ms: ${r.p50} ${r.p99}`);
    assert.deepEqual([...seen.keys()].sort(), ["a", "b", "fail"], "every pre-built request, and only those");
    // One request in three fails (the turn is shared by the connections; the last ones may be cut off at the end).
    assert.ok(Math.abs(r.non2xx - r.requests / 3) <= 3, `non-2xx ${r.non2xx} of ${r.requests}`);
    assert.equal(r.errors, 0);
  } finally {
    await new Promise((r) => server.close(r));
  }
});
