import type { Command } from "commander";
import { Envelope } from "../crypto/envelope.js";
import { keyProviderFromConfig } from "../crypto/key-provider-from-config.js";
import { createAccessKey } from "../iam/access-keys.js";
import { ADMIN_USER, DEFAULT_ACCOUNT_META } from "../iam/bootstrap.js";
import { storeFromConfig } from "../storage/store-from-config.js";
import type { Store } from "../storage/store.js";
import { configFrom, withDataDirFlags, type ServerFlags } from "./common.js";

async function withStore<T>(flags: ServerFlags, fn: (store: Store, envelope: Envelope, accountId: string) => Promise<T>): Promise<T> {
  const config = configFrom(flags);
  const store = await storeFromConfig(config);
  try {
    const accountId = await store.getMeta(DEFAULT_ACCOUNT_META);
    if (!accountId) throw new Error(`no Keyshift data in ${config.dataDir}: start the server once first`);
    return await fn(store, new Envelope(keyProviderFromConfig(config, false).provider), accountId);
  } finally {
    await store.close();
  }
}

/** `keyshift access-keys create|list|delete`: keys of the default account, straight on the data dir (the server may be running). */
export function accessKeysCommand(program: Command): void {
  const keys = program.command("access-keys").description("manage access keys of the default account");
  withDataDirFlags(keys.command("create").description("create an access key; prints it once as JSON"))
    .option("--user <name>", "user the key belongs to (created if missing)", ADMIN_USER)
    .option("--admin", "create the missing user as an administrator of the account (the admin user always is one)")
    .action(async (flags: ServerFlags & { user: string; admin?: boolean }) => {
      await withStore(flags, async (store, envelope, accountId) => {
        if (!(await store.getUser(accountId, flags.user))) await store.insertUser({ accountId, userName: flags.user, admin: flags.user === ADMIN_USER || flags.admin === true, tags: {}, createdAt: Date.now() });
        const k = await createAccessKey(store, envelope, { accountId, userName: flags.user, now: Date.now() });
        process.stdout.write(JSON.stringify({ AccessKeyId: k.accessKeyId, SecretAccessKey: k.secretAccessKey, AccountId: accountId, UserName: flags.user }, null, 2) + "\n");
      });
    });
  withDataDirFlags(keys.command("list").description("list access keys (never their secrets)")).action(async (flags: ServerFlags) => {
    await withStore(flags, async (store, _e, accountId) => {
      const list = await store.listAccessKeys(accountId);
      const out = list.map((k) => ({
        AccessKeyId: k.accessKeyId, UserName: k.userName, Status: k.status, CreateDate: new Date(k.createdAt).toISOString(),
        ...(k.lastUsedAt ? { LastUsedDate: new Date(k.lastUsedAt).toISOString() } : {}),
      }));
      process.stdout.write(JSON.stringify({ AccessKeys: out }, null, 2) + "\n");
    });
  });
  withDataDirFlags(keys.command("delete").description("delete an access key").argument("<access-key-id>")).action(async (id: string, flags: ServerFlags) => {
    await withStore(flags, async (store, _e, accountId) => {
      const k = await store.getAccessKey(id);
      if (!k || k.accountId !== accountId) throw new Error(`no access key ${id} in account ${accountId}`);
      await store.deleteAccessKey(id);
      process.stdout.write(`deleted ${id}\n`);
    });
  });
}
