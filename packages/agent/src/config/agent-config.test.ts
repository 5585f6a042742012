import { test } from "node:test";
import assert from "node:assert/strict";
import { ConfigError, parseAgentConfig } from "./agent-config.js";

test("defaults are the AWS agent's", () => {
  const c = parseAgentConfig("");
  assert.equal(c.httpPort, 2773);
  assert.equal(c.ttlSeconds, 300);
  assert.equal(c.cacheSize, 1000);
  assert.equal(c.maxConn, 800);
  assert.equal(c.pathPrefix, "/v1/");
  assert.equal(c.logLevel, "INFO");
  assert.deepEqual(c.ssrfHeaders, ["X-Aws-Parameters-Secrets-Token", "X-Vault-Token"]);
  assert.deepEqual(c.ssrfEnvVariables, ["AWS_TOKEN", "AWS_SESSION_TOKEN", "AWS_CONTAINER_AUTHORIZATION_TOKEN"]);
  assert.equal(c.ignoreTransientErrors, true);
  assert.equal(c.validateCredentials, true);
  assert.ok(Object.isFrozen(c));
});

test("the AWS agent's own config file loads (quoted numbers, lower-case level)", () => {
  const c = parseAgentConfig(`log_level = "info"\nhttp_port = "2775"\nttl_seconds = "60"\ncache_size = "10"\nmax_conn = "5"\npath_prefix = "/secrets/"\nregion = "eu-west-1"\nssrf_headers = ["X-Token"]\nssrf_env_variables = ["MY_TOKEN"]\nignore_transient_errors = "false"\n`);
  assert.deepEqual([c.httpPort, c.ttlSeconds, c.cacheSize, c.maxConn, c.pathPrefix, c.region, c.logLevel, c.ignoreTransientErrors], [2775, 60, 10, 5, "/secrets/", "eu-west-1", "INFO", false]);
});

test("unknown keys, bad types and out-of-range values are all reported together", () => {
  assert.throws(
    () => parseAgentConfig(`http_port = 80\nttl_seconds = 3601\ncache_size = 0\nmax_conn = 1001\npath_prefix = "v1"\nlog_level = "LOUD"\ncolour = "blue"\n[[template]]\ndestination = "a"\n`),
    (e: ConfigError) =>
      e instanceof ConfigError &&
      ["http_port", "ttl_seconds", "cache_size", "max_conn", "path_prefix", "log_level", "unknown key colour", "template[0] needs exactly one of contents and source"].every((k) => e.problems.some((p) => p.includes(k))),
  );
  assert.throws(() => parseAgentConfig("not = [valid"), /not valid TOML/);
});

test("outputs: templates are parsed at load, entries checked, destinations unique", () => {
  const c = parseAgentConfig(
    `max_stale_seconds = 10\n[[template]]\ndestination = "a.conf"\ncontents = '{{ secret "db" "password" | json }}'\ncommand = "true"\n[[env_file]]\ndestination = "b.env"\nvars = { A = "db", B = { secret = "db", key = "user", version_stage = "AWSPREVIOUS" } }\n[[env_file.from]]\nsecret = "api"\nprefix = "API_"\n[[kubernetes_secret]]\ndestination = "c.yaml"\nname = "app"\ndata = { "tls.crt" = "cert" }\n`,
    { baseDir: "/etc/agent" },
  );
  assert.equal(c.maxStaleSeconds, 10);
  assert.equal(c.outputs.length, 3);
  assert.equal(c.outputs[0]!.destination, "/etc/agent/a.conf");
  assert.equal(c.outputs[0]!.kind === "template" && c.outputs[0]!.template?.refs[0]?.jsonKey, "password");
  const env = c.outputs[1]!;
  assert.ok(env.kind === "env");
  assert.deepEqual(env.vars[1], { name: "B", ref: { secretId: "db", jsonKey: "user", versionStage: "AWSPREVIOUS" } });
  assert.deepEqual(env.from, [{ ref: { secretId: "api" }, prefix: "API_" }]);
  assert.throws(() => parseAgentConfig(`[[env_file]]\ndestination = "x"\nvars = { "1BAD" = "db" }\n[[template]]\ndestination = "x"\ncontents = "{{ secret \\"db\\" oops }}"\n[[kubernetes_secret]]\ndestination = "y"\nname = "Bad_Name"\ndata = { k = "db" }\n`), (e: ConfigError) =>
    ["env_file[0].vars.1BAD", "template[0].contents has a template error", "env_file[0].destination is also template[0].destination", "kubernetes_secret[0].name"].every((k) => e.problems.some((p) => p.includes(k))),
  );
});
