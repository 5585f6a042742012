import { existsSync } from "node:fs";
import { resolve } from "node:path";
import type { Command } from "commander";
import { auditKeyPath } from "../audit/audit-from-config.js";
import { createBackup } from "../backup/create-backup.js";
import { restoreBackup } from "../backup/restore-backup.js";
import type { Config } from "../config/schema.js";
import { keyProviderFromConfig, keyringPath } from "../crypto/key-provider-from-config.js";
import { fileKeyProvider, readKeyringFile } from "../crypto/keyring-file.js";
import type { KeyringProvider } from "../crypto/keyring.js";
import { sqlitePath } from "../storage/store-from-config.js";
import { configFrom, withDataDirFlags, type ServerFlags } from "./common.js";

/** The embedded store's file; other stores are backed up with their own tools. */
function sqliteFile(config: Config): string {
  const url = config.store.url;
  if (url === "sqlite") return sqlitePath(config);
  if (url.startsWith("sqlite:")) return resolve(url.slice("sqlite:".length));
  throw new Error("keyshift backup/restore cover the embedded SQLite store; back up PostgreSQL with its own tools (pg_dump / pg_restore, point-in-time recovery), see docs/deployment.md");
}

/** The master keys a restore is checked against: --master-key, else the configured provider (never a new key). */
function restoreKeys(config: Config, masterKeyFile: string | undefined): { keys: KeyringProvider; install?: { from: string; to: string } } {
  if (masterKeyFile) {
    if (config.masterKey.provider !== "file") throw new Error("--master-key installs a keyring file, but the configured master key provider is env (KEYSHIFT_MASTER_KEY); drop one of the two");
    readKeyringFile(masterKeyFile);
    return { keys: fileKeyProvider(masterKeyFile), install: { from: resolve(masterKeyFile), to: keyringPath(config) } };
  }
  if (config.masterKey.provider === "file" && !existsSync(keyringPath(config))) {
    throw new Error(`no master key: copy the master.key file of the backed-up server to ${keyringPath(config)}, pass --master-key FILE, or set KEYSHIFT_MASTER_KEY`);
  }
  return { keys: keyProviderFromConfig(config, false).provider };
}

/**
 * `keyshift backup --out FILE`: an online, consistent backup of the embedded store (the server
 * may be running). `keyshift restore --in FILE`: into an empty data dir (or `--force`), checked
 * against the master key before anything is placed. Both print a JSON report.
 */
export function backupCommands(program: Command): void {
  withDataDirFlags(program.command("backup").description("write a consistent backup of the embedded store, online (values stay encrypted; the master key is not included)"))
    .requiredOption("--out <file>", "backup file to write (0600, replaced atomically)")
    .action(async (flags: ServerFlags & { out: string }) => {
      process.umask(0o077);
      const config = configFrom(flags);
      const started = Date.now();
      const m = await createBackup({ dbPath: sqliteFile(config), out: flags.out });
      process.stdout.write(JSON.stringify({ out: resolve(flags.out), createdAt: m.createdAt, schemaVersion: m.schemaVersion, bytes: m.dbBytes, sha256: m.sha256, counts: m.counts, masterKeyIds: m.masterKeyIds, ms: Date.now() - started }, null, 2) + "\n");
    });
  withDataDirFlags(program.command("restore").description("restore a backup into an empty data dir (stop the server first)"))
    .requiredOption("--in <file>", "backup file written by keyshift backup")
    .option("--master-key <file>", "master.key of the backed-up server; installed in the data dir after the restore succeeded (else the configured provider: dataDir/master.key or KEYSHIFT_MASTER_KEY)")
    .option("--audit-key <file>", "audit.key of the backed-up server (the audit chain's HMAC key), installed likewise; without it the restored audit trail cannot be verified")
    .option("--force", "replace the store of a data dir that is not empty")
    .action(async (flags: ServerFlags & { in: string; masterKey?: string; auditKey?: string; force?: boolean }) => {
      process.umask(0o077);
      const config = configFrom(flags);
      const dbPath = sqliteFile(config);
      const { keys, install } = restoreKeys(config, flags.masterKey);
      const auditKey = auditKeyPath(config);
      const auditInstall = flags.auditKey ? { from: resolve(flags.auditKey), to: auditKey } : undefined;
      const r = await restoreBackup({
        input: flags.in, dataDir: config.dataDir, dbPath, keys, force: flags.force === true, keyFiles: [keyringPath(config), auditKey],
        ...(install ? { installKeyring: install } : {}), ...(auditInstall ? { installAuditKey: auditInstall } : {}),
      });
      const auditRecords = r.counts.audit_records ?? 0;
      process.stdout.write(JSON.stringify({
        restored: r.dbPath, backupCreatedAt: r.manifest.createdAt, backupKeyshiftVersion: r.manifest.keyshiftVersion,
        schemaVersion: { backup: r.schemaVersionBefore, now: r.schemaVersionAfter }, counts: r.counts, checkedDataKeys: r.checkedDataKeys,
        ...(install ? { masterKeyFile: install.to } : {}),
        ...(auditInstall ? { auditKeyFile: auditInstall.to } : {}),
      }, null, 2) + "\n");
      if (auditRecords > 0 && !existsSync(auditKey)) {
        process.stderr.write(`keyshift: warning: the backup holds ${auditRecords} audit records but ${auditKey} is missing; copy the audit.key of the backed-up server there (or pass --audit-key) before starting the server, or the restored audit trail cannot be verified\n`);
      }
    });
}
