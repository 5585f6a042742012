/** Rewriting SHOW GRANTS for the clone of alternating users (MySQL 5.7 / 8, MariaDB spellings). */
import { test } from "node:test";
import assert from "node:assert/strict";
import { cloneGrantStatements, GrantCopyError, requireClause } from "./grants.js";
import { parseServerVersion } from "./driver.js";

const CLONE = "'app_clone'@'%'";

test("mysql: MariaDB grants: USAGE line skipped, password hash dropped, grant and admin options kept, roles and default role", () => {
  const lines = [
    "GRANT `reader` TO `app`@`%` WITH ADMIN OPTION",
    "GRANT USAGE ON *.* TO `app`@`%` IDENTIFIED BY PASSWORD '*A4AF824E4CFB38DDEFC88B049AC072B2D694CE0A'",
    "GRANT INSERT ON *.* TO `app`@`%` IDENTIFIED BY PASSWORD '*B51DBA2FC1FF3529B0CBA60AB48B532BBBD7CF05'",
    "GRANT SELECT, UPDATE (`a`) ON `d1`.`t` TO `app`@`%` WITH GRANT OPTION",
    "SET DEFAULT ROLE `reader` FOR `app`@`%`",
  ];
  assert.deepEqual(cloneGrantStatements(lines, "app", "%", CLONE), [
    `GRANT \`reader\` TO ${CLONE} WITH ADMIN OPTION`,
    `GRANT INSERT ON *.* TO ${CLONE}`,
    `GRANT SELECT, UPDATE (\`a\`) ON \`d1\`.\`t\` TO ${CLONE} WITH GRANT OPTION`,
    `SET DEFAULT ROLE \`reader\` FOR ${CLONE}`,
  ]);
});

test("mysql: MySQL 5.7 and 8 spellings, partial revokes, a grantee named like a database", () => {
  assert.deepEqual(
    cloneGrantStatements(
      ["GRANT USAGE ON *.* TO 'app'@'10.0.%'", "GRANT SELECT ON `app`.* TO 'app'@'10.0.%' WITH GRANT OPTION", "GRANT PROXY ON ''@'' TO 'app'@'10.0.%'"],
      "app",
      "10.0.%",
      "'app_clone'@'10.0.%'",
    ),
    ["GRANT SELECT ON `app`.* TO 'app_clone'@'10.0.%' WITH GRANT OPTION", "GRANT PROXY ON ''@'' TO 'app_clone'@'10.0.%'"],
  );
  assert.deepEqual(
    cloneGrantStatements(["GRANT SELECT, INSERT ON *.* TO `app`@`%`", "REVOKE INSERT ON `mysql`.* FROM `app`@`%`", "GRANT `r1`@`%` TO `app`@`%`"], "app", "%", CLONE),
    [`GRANT SELECT, INSERT ON *.* TO ${CLONE}`, `REVOKE INSERT ON \`mysql\`.* FROM ${CLONE}`, `GRANT \`r1\`@\`%\` TO ${CLONE}`],
  );
  // Quotes in names, as each server escapes them.
  assert.deepEqual(cloneGrantStatements(["GRANT SELECT ON *.* TO `o``k`@`%`"], "o`k", "%", CLONE), [`GRANT SELECT ON *.* TO ${CLONE}`]);
  assert.deepEqual(cloneGrantStatements(["GRANT SELECT ON *.* TO 'o\\'k'@'%'"], "o'k", "%", CLONE), [`GRANT SELECT ON *.* TO ${CLONE}`]);
});

test("mysql: a line that does not name the account, or is not a grant, is an error naming the line by number only", () => {
  assert.throws(() => cloneGrantStatements(["GRANT SELECT ON *.* TO `other`@`%`"], "app", "%", CLONE), (e: unknown) => e instanceof GrantCopyError && e.message === "SHOW GRANTS line 1 does not name the account");
  assert.throws(
    () => cloneGrantStatements(["GRANT SELECT ON *.* TO `app`@`%`", "CREATE USER `app`@`%` IDENTIFIED BY PASSWORD '*HASH' FOR `app`@`%`"], "app", "%", CLONE),
    (e: unknown) => e instanceof GrantCopyError && e.message === "SHOW GRANTS line 2 is not a GRANT, REVOKE or SET DEFAULT ROLE statement",
  );
});

test("mysql: REQUIRE clauses from mysql.user's TLS columns", () => {
  assert.deepEqual(requireClause({ ssl_type: "" }), { sql: "REQUIRE NONE", values: [] });
  assert.deepEqual(requireClause({}), { sql: "REQUIRE NONE", values: [] });
  assert.deepEqual(requireClause({ ssl_type: "ANY" }), { sql: "REQUIRE SSL", values: [] });
  assert.deepEqual(requireClause({ ssl_type: "X509" }), { sql: "REQUIRE X509", values: [] });
  assert.deepEqual(requireClause({ ssl_type: "SPECIFIED", ssl_cipher: Buffer.from(""), x509_issuer: Buffer.from("/CN=ca"), x509_subject: "/CN=app" }), {
    sql: "REQUIRE ISSUER ? AND SUBJECT ?",
    values: ["/CN=ca", "/CN=app"],
  });
});

test("mysql: server versions", () => {
  assert.deepEqual(parseServerVersion("10.11.19-MariaDB-0+deb12u1"), { version: "10.11.19-MariaDB-0+deb12u1", mariadb: true, major: 10, minor: 11 });
  assert.deepEqual(parseServerVersion("8.0.36"), { version: "8.0.36", mariadb: false, major: 8, minor: 0 });
  assert.deepEqual(parseServerVersion("5.7.44-log"), { version: "5.7.44-log", mariadb: false, major: 5, minor: 7 });
});
