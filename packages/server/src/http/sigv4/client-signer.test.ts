import { test } from "node:test";
import assert from "node:assert/strict";
import { signRequest } from "@keyshift/protocol";
import { SigV4Verifier, type SignedRequest } from "./verify.js";

/** Keyshift's own client signer (used by the CLI, agent, SDK and benchmarks) must satisfy the server's verifier. */
test("requests signed by @keyshift/protocol signRequest verify, for paths, queries and bodies", () => {
  const now = Date.UTC(2026, 10, 22, 10, 0, 0);
  const v = new SigV4Verifier({ service: "keyshift", now: () => now, lookup: (id) => (id === "AKIDCLIENT" ? { secretAccessKey: "s3cr3t", principal: "p" } : undefined) });
  const cases: { path: string; query?: string; body: string; method: string }[] = [
    { method: "GET", path: "/v1/changes", body: "" },
    { method: "PUT", path: "/v1/consumers/bad%20id", body: "{}" },
    { method: "GET", path: "/v1/rotations", query: "SecretId=a%2Fb%2Bc&MaxResults=5&Status=failed", body: "" },
    { method: "GET", path: "/v1/rotations", query: "SecretId=with+space&z=1&a=2&a=1", body: "" },
    { method: "POST", path: "/", body: JSON.stringify({ SecretId: "x", Unicode: "ünïcødé ✓" }) },
  ];
  for (const c of cases) {
    const headers = signRequest({ method: c.method, host: "127.0.0.1:8400", path: c.path, ...(c.query ? { query: c.query } : {}), headers: { "content-type": "application/json" }, body: c.body, region: "us-east-1", service: "keyshift", now }, { accessKeyId: "AKIDCLIENT", secretAccessKey: "s3cr3t" });
    const rawHeaders = Object.entries(headers).flat();
    const req: SignedRequest = { method: c.method, url: c.path + (c.query ? `?${c.query}` : ""), rawHeaders, headers: Object.fromEntries(Object.entries(headers).map(([k, x]) => [k.toLowerCase(), x])), body: Buffer.from(c.body) };
    assert.equal(v.verify(req).principal, "p", `${c.method} ${c.path}?${c.query ?? ""}`);
    assert.throws(() => v.verify({ ...req, body: Buffer.from(c.body + " ") }), /InvalidSignature|does not match/);
  }
});
