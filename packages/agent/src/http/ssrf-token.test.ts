import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { resolveSsrfToken } from "./ssrf-token.js";

const VARS = ["AWS_TOKEN", "AWS_SESSION_TOKEN", "AWS_CONTAINER_AUTHORIZATION_TOKEN"];

test("the first variable that is set wins; file:// reads the token from a file", () => {
  assert.equal(resolveSsrfToken(VARS, { AWS_SESSION_TOKEN: "s", AWS_CONTAINER_AUTHORIZATION_TOKEN: "c" }), "s");
  assert.equal(resolveSsrfToken(VARS, { AWS_TOKEN: "t", AWS_SESSION_TOKEN: "s" }), "t");
  const dir = mkdtempSync(join(tmpdir(), "ssrf-"));
  writeFileSync(join(dir, "tok"), "from-file\n");
  assert.equal(resolveSsrfToken(VARS, { AWS_TOKEN: `file://${join(dir, "tok")}` }), "from-file");
  assert.throws(() => resolveSsrfToken(VARS, {}), /no SSRF token/);
  assert.throws(() => resolveSsrfToken(VARS, { AWS_TOKEN: `file://${join(dir, "missing")}` }), /ENOENT/);
});
