/**
 * Copying a MySQL / MariaDB account's grants to its clone, as the AWS MultiUser template does:
 * every line of SHOW GRANTS FOR the current account is replayed with the clone as grantee.
 * Differences from the template (which splits each line on " TO " and keeps the left part):
 * - the GRANT USAGE ON *.* line (which carries the password hash) is skipped, not replayed;
 * - IDENTIFIED BY / REQUIRE parts after the grantee are dropped (the password is set on its
 *   own, the TLS requirements are copied from mysql.user), WITH GRANT OPTION and WITH ADMIN
 *   OPTION are kept;
 * - role grants (`GRANT role TO user`), SET DEFAULT ROLE (MariaDB) and partial revokes
 *   (`REVOKE ... FROM user`, MySQL 8) are rewritten too;
 * - a line it does not understand is an error rather than a silent loss of a privilege.
 */

/** The ways SHOW GRANTS writes `user`@`host`: backquotes (MariaDB, MySQL 8) or single quotes (MySQL 5.x). */
function accountSpellings(user: string, host: string): string[] {
  const bq = (s: string) => "`" + s.replace(/`/g, "``") + "`";
  const sq = (s: string) => "'" + s.replace(/'/g, "''") + "'";
  const sqb = (s: string) => "'" + s.replace(/\\/g, "\\\\").replace(/'/g, "\\'") + "'";
  return [...new Set([`${bq(user)}@${bq(host)}`, `${sq(user)}@${sq(host)}`, `${sqb(user)}@${sqb(host)}`])];
}

export class GrantCopyError extends Error {}

/**
 * The statements that give `clone` (an escaped account, `'name'@'host'`) what SHOW GRANTS FOR
 * `user`@`host` printed in `lines`. Throws GrantCopyError (naming the line by number only: lines
 * can carry a password hash) for a line it cannot rewrite.
 */
export function cloneGrantStatements(lines: readonly string[], user: string, host: string, clone: string): string[] {
  const spellings = accountSpellings(user, host);
  const out: string[] = [];
  lines.forEach((line, i) => {
    let best: { at: number; keyword: string; spelling: string } | undefined;
    for (const keyword of [" TO ", " FROM ", " FOR "]) {
      for (const spelling of spellings) {
        const at = line.lastIndexOf(keyword + spelling);
        if (at >= 0 && (best === undefined || at > best.at)) best = { at, keyword, spelling };
      }
    }
    if (!best) throw new GrantCopyError(`SHOW GRANTS line ${i + 1} does not name the account`);
    const head = line.slice(0, best.at).trim();
    const tail = line.slice(best.at + best.keyword.length + best.spelling.length);
    if (/^GRANT\s/i.test(head) && best.keyword === " TO ") {
      if (/^GRANT\s+USAGE\s+ON\s+\*\.\*$/i.test(head)) return; // no privilege; carries IDENTIFIED BY PASSWORD
      const options = [/\bWITH\b.*\bGRANT\s+OPTION\b/i.test(tail) ? " WITH GRANT OPTION" : "", /\bWITH\s+ADMIN\s+OPTION\b/i.test(tail) ? " WITH ADMIN OPTION" : ""];
      out.push(`${head} TO ${clone}${options.join("")}`);
    } else if (/^REVOKE\s/i.test(head) && best.keyword === " FROM ") {
      out.push(`${head} FROM ${clone}`);
    } else if (/^SET\s+DEFAULT\s+ROLE\s/i.test(head) && best.keyword === " FOR ") {
      out.push(`${head} FOR ${clone}`);
    } else {
      throw new GrantCopyError(`SHOW GRANTS line ${i + 1} is not a GRANT, REVOKE or SET DEFAULT ROLE statement`);
    }
  });
  return out;
}

/** The REQUIRE clause (with its placeholders' values) for mysql.user's TLS columns. */
export function requireClause(row: { ssl_type?: unknown; ssl_cipher?: unknown; x509_issuer?: unknown; x509_subject?: unknown }): { sql: string; values: string[] } {
  const text = (v: unknown): string => (v === null || v === undefined ? "" : Buffer.isBuffer(v) ? v.toString("utf8") : String(v));
  const type = text(row.ssl_type).toUpperCase();
  if (type === "ANY") return { sql: "REQUIRE SSL", values: [] };
  if (type === "X509") return { sql: "REQUIRE X509", values: [] };
  if (type === "SPECIFIED") {
    const parts: string[] = [];
    const values: string[] = [];
    for (const [kw, v] of [["CIPHER", row.ssl_cipher], ["ISSUER", row.x509_issuer], ["SUBJECT", row.x509_subject]] as const) {
      const s = text(v);
      if (s !== "") {
        parts.push(`${kw} ?`);
        values.push(s);
      }
    }
    if (parts.length > 0) return { sql: `REQUIRE ${parts.join(" AND ")}`, values };
  }
  return { sql: "REQUIRE NONE", values: [] };
}
