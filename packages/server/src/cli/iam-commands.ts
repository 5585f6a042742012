import { readFileSync } from "node:fs";
import type { Command } from "commander";
import { callApi, withApiFlags, type ApiFlags } from "./api-client.js";

const print = (v: unknown): void => void process.stdout.write(JSON.stringify(v, null, 2) + "\n");
const seg = encodeURIComponent;

type AccountFlags = ApiFlags & { account: string };
type UserFlags = AccountFlags & { user: string };

/** `--policy-document` as the aws CLI takes it: `file://path` or the JSON itself. */
export function readDocument(arg: string): string {
  return arg.startsWith("file://") ? readFileSync(arg.slice("file://".length), "utf8") : arg;
}

function collectTag(v: string, prev: Record<string, string>): Record<string, string> {
  const eq = v.indexOf("=");
  if (eq <= 0) throw new Error(`--tag wants KEY=VALUE, got ${v}`);
  return { ...prev, [v.slice(0, eq)]: v.slice(eq + 1) };
}

function accountCmd(parent: Command, name: string, description: string): Command {
  return withApiFlags(parent.command(name).description(description)).option("--account <id>", "12-digit account id (default: the caller's own account)", "self");
}

function userCmd(parent: Command, name: string, description: string): Command {
  return accountCmd(parent, name, description).requiredOption("--user <name>", "user name");
}

const userPath = (f: UserFlags): string => `/v1/iam/accounts/${seg(f.account)}/users/${seg(f.user)}`;

/**
 * `keyshift iam ...`: accounts, users, access keys and user policies of a running server,
 * authenticated with an admin key from the usual AWS credential chain. Spelled like `aws iam`.
 */
export function iamCommands(program: Command): void {
  const iam = program.command("iam").description("accounts, users, access keys and policies (needs an administrator's key)");

  withApiFlags(iam.command("create-account").description("create an account (tenant); prints its id"))
    .requiredOption("--name <name>", "a display name")
    .option("--account-id <id>", "choose the 12-digit id instead of a random one")
    .action(async (f: ApiFlags & { name: string; accountId?: string }) => {
      const r = (await callApi(f, "POST", "/v1/iam/accounts", { Name: f.name, ...(f.accountId ? { AccountId: f.accountId } : {}) })) as { AccountId: string };
      process.stdout.write(r.AccountId + "\n");
    });
  withApiFlags(iam.command("list-accounts").description("list accounts")).action(async (f: ApiFlags) => print(await callApi(f, "GET", "/v1/iam/accounts")));

  accountCmd(iam, "create-user", "create a user in an account")
    .requiredOption("--user <name>", "user name (1-64 of A-Z a-z 0-9 + = , . @ _ -)")
    .option("--admin", "make the user an administrator of its account")
    .option("--tag <key=value>", "a principal tag (aws:PrincipalTag/key); repeatable", collectTag, {})
    .action(async (f: UserFlags & { admin?: boolean; tag: Record<string, string> }) =>
      print(await callApi(f, "POST", `/v1/iam/accounts/${seg(f.account)}/users`, { UserName: f.user, Admin: f.admin === true, Tags: f.tag })),
    );
  accountCmd(iam, "list-users", "list the users of an account").action(async (f: AccountFlags) => print(await callApi(f, "GET", `/v1/iam/accounts/${seg(f.account)}/users`)));
  userCmd(iam, "delete-user", "delete a user, its access keys and its policies").action(async (f: UserFlags) => {
    await callApi(f, "DELETE", userPath(f));
    print({ Deleted: f.user });
  });

  userCmd(iam, "create-access-key", "create an access key for a user; prints it once").action(async (f: UserFlags) => {
    const r = (await callApi(f, "POST", `${userPath(f)}/access-keys`)) as { AccessKeyId: string; SecretAccessKey: string };
    print({ AccessKeyId: r.AccessKeyId, SecretAccessKey: r.SecretAccessKey });
  });
  userCmd(iam, "list-access-keys", "list a user's access keys (never their secrets)").action(async (f: UserFlags) => print(await callApi(f, "GET", `${userPath(f)}/access-keys`)));
  userCmd(iam, "update-access-key", "activate or deactivate an access key")
    .requiredOption("--access-key-id <id>", "the key")
    .requiredOption("--status <status>", "Active or Inactive")
    .action(async (f: UserFlags & { accessKeyId: string; status: string }) => print(await callApi(f, "PUT", `${userPath(f)}/access-keys/${seg(f.accessKeyId)}`, { Status: f.status })));
  userCmd(iam, "delete-access-key", "delete an access key")
    .requiredOption("--access-key-id <id>", "the key")
    .action(async (f: UserFlags & { accessKeyId: string }) => {
      await callApi(f, "DELETE", `${userPath(f)}/access-keys/${seg(f.accessKeyId)}`);
      print({ Deleted: f.accessKeyId });
    });

  userCmd(iam, "put-user-policy", "attach (or replace) an inline policy of a user")
    .requiredOption("--policy-name <name>", "policy name")
    .requiredOption("--policy-document <doc>", "the JSON policy, or file://path")
    .action(async (f: UserFlags & { policyName: string; policyDocument: string }) =>
      print(await callApi(f, "PUT", `${userPath(f)}/policies/${seg(f.policyName)}`, { PolicyDocument: readDocument(f.policyDocument) })),
    );
  userCmd(iam, "list-user-policies", "names of a user's inline policies").action(async (f: UserFlags) => print(await callApi(f, "GET", `${userPath(f)}/policies`)));
  userCmd(iam, "get-user-policy", "one inline policy")
    .requiredOption("--policy-name <name>", "policy name")
    .action(async (f: UserFlags & { policyName: string }) => print(await callApi(f, "GET", `${userPath(f)}/policies/${seg(f.policyName)}`)));
  userCmd(iam, "delete-user-policy", "remove an inline policy")
    .requiredOption("--policy-name <name>", "policy name")
    .action(async (f: UserFlags & { policyName: string }) => {
      await callApi(f, "DELETE", `${userPath(f)}/policies/${seg(f.policyName)}`);
      print({ Deleted: f.policyName });
    });
}
