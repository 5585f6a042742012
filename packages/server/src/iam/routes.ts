import { randomInt } from "node:crypto";
import { ServiceError, epochSeconds } from "@keyshift/protocol";
import type { ManagementCall, ManagementRoute } from "../http/management.js";
import type { SecretsDeps } from "../secrets/context.js";
import { StoreConflict } from "../storage/store.js";
import { createAccessKey } from "./access-keys.js";
import { checkPolicy } from "./policy-document.js";
import { userArn } from "./principal.js";

const USER_NAME = /^[A-Za-z0-9+=,.@_-]{1,64}$/;
const POLICY_NAME = /^[A-Za-z0-9+=,.@_-]{1,128}$/;
const ACCOUNT_NAME = /^[\x20-\x7e]{1,64}$/;

/** `self` in a path is the caller's own account. */
function accountOf(call: ManagementCall): string {
  const a = call.params.account!;
  return a === "self" ? call.principal.accountId : a;
}

/**
 * IAM actions go through the same authorization point as everything else, on the user's ARN
 * in the target account; an administrator of the operator account may act in any account.
 */
function authorize(deps: SecretsDeps, call: ManagementCall, action: string, account: string, resource = `arn:aws:iam::${account}:*`): void {
  deps.authz.authorize({ principal: call.principal, action: `iam:${action}`, resource, resourceAccount: account, conditions: () => ({ "aws:SourceIp": call.sourceIp }), resourcePolicy: undefined });
}

async function requireAccount(deps: SecretsDeps, id: string): Promise<void> {
  if (!/^\d{12}$/.test(id) || !(await deps.store.getAccount(id))) throw new ServiceError("ResourceNotFoundException", `No account ${id.slice(0, 12)}.`);
}

async function requireUser(deps: SecretsDeps, account: string, user: string): Promise<void> {
  if (!(await deps.store.getUser(account, user))) throw new ServiceError("ResourceNotFoundException", `No user ${user.slice(0, 64)} in account ${account}.`);
}

function str(body: unknown, key: string): unknown {
  return (body as Record<string, unknown> | undefined)?.[key];
}

/**
 * Accounts, users, access keys and inline user policies (`/v1/iam/...`), for `keyshift iam`.
 * Changes take effect on the next request (the key cache is cleared) on this server and within
 * a second elsewhere.
 */
export function iamRoutes(onChange: () => void): ManagementRoute[] {
  const changed = <T>(v: T): T => {
    onChange();
    return v;
  };
  return [
    {
      method: "POST",
      path: "/iam/accounts",
      handler: async (deps, call) => {
        if (!call.principal.operator) authorize(deps, call, "CreateAccount", "operator", "*");
        const name = str(call.body, "Name");
        if (typeof name !== "string" || !ACCOUNT_NAME.test(name)) throw new ServiceError("ValidationException", "Name must be 1 to 64 printable ASCII characters.");
        const wanted = str(call.body, "AccountId");
        if (wanted !== undefined && (typeof wanted !== "string" || !/^\d{12}$/.test(wanted))) throw new ServiceError("ValidationException", "AccountId must be 12 digits.");
        let id = wanted as string | undefined;
        if (!id) do id = String(randomInt(1, 10)) + Array.from({ length: 11 }, () => randomInt(10)).join(""); while (await deps.store.getAccount(id));
        else if (await deps.store.getAccount(id)) throw new ServiceError("ResourceExistsException", `Account ${id} already exists.`);
        await deps.store.insertAccount({ id, name, createdAt: deps.clock() });
        return { status: 201, body: { AccountId: id, Name: name } };
      },
    },
    {
      method: "GET",
      path: "/iam/accounts",
      handler: async (deps, call) => {
        if (!call.principal.operator) authorize(deps, call, "ListAccounts", "operator", "*");
        return { body: { Accounts: (await deps.store.listAccounts()).map((a) => ({ AccountId: a.id, Name: a.name, CreateDate: epochSeconds(a.createdAt) })) } };
      },
    },
    {
      method: "POST",
      path: "/iam/accounts/{account}/users",
      handler: async (deps, call) => {
        const account = accountOf(call);
        const user = str(call.body, "UserName");
        if (typeof user !== "string" || !USER_NAME.test(user)) throw new ServiceError("ValidationException", "UserName must be 1 to 64 of A-Z a-z 0-9 + = , . @ _ -");
        authorize(deps, call, "CreateUser", account, userArn(account, user));
        await requireAccount(deps, account);
        const admin = str(call.body, "Admin") === true;
        const tags = (str(call.body, "Tags") ?? {}) as Record<string, unknown>;
        if (typeof tags !== "object" || Array.isArray(tags) || Object.values(tags).some((v) => typeof v !== "string")) throw new ServiceError("ValidationException", "Tags must map keys to string values.");
        try {
          await deps.store.insertUser({ accountId: account, userName: user, admin, tags: tags as Record<string, string>, createdAt: deps.clock() });
        } catch (e) {
          if (e instanceof StoreConflict) throw new ServiceError("ResourceExistsException", `User ${user} already exists.`);
          throw e;
        }
        return { status: 201, body: { UserName: user, Arn: userArn(account, user), Admin: admin } };
      },
    },
    {
      method: "GET",
      path: "/iam/accounts/{account}/users",
      handler: async (deps, call) => {
        const account = accountOf(call);
        authorize(deps, call, "ListUsers", account);
        return { body: { Users: (await deps.store.listUsers(account)).map((u) => ({ UserName: u.userName, Arn: userArn(account, u.userName), Admin: u.admin, Tags: u.tags, CreateDate: epochSeconds(u.createdAt) })) } };
      },
    },
    {
      method: "DELETE",
      path: "/iam/accounts/{account}/users/{user}",
      handler: async (deps, call) => {
        const account = accountOf(call);
        authorize(deps, call, "DeleteUser", account, userArn(account, call.params.user!));
        if (!(await deps.store.deleteUser(account, call.params.user!))) throw new ServiceError("ResourceNotFoundException", `No user ${call.params.user!.slice(0, 64)}.`);
        return changed({ status: 204 });
      },
    },
    {
      method: "POST",
      path: "/iam/accounts/{account}/users/{user}/access-keys",
      handler: async (deps, call) => {
        const account = accountOf(call);
        const user = call.params.user!;
        authorize(deps, call, "CreateAccessKey", account, userArn(account, user));
        await requireUser(deps, account, user);
        const k = await createAccessKey(deps.store, deps.envelope, { accountId: account, userName: user, now: deps.clock() });
        return { status: 201, body: { AccessKeyId: k.accessKeyId, SecretAccessKey: k.secretAccessKey, UserName: user, AccountId: account, Status: "Active" } };
      },
    },
    {
      method: "GET",
      path: "/iam/accounts/{account}/users/{user}/access-keys",
      handler: async (deps, call) => {
        const account = accountOf(call);
        const user = call.params.user!;
        authorize(deps, call, "ListAccessKeys", account, userArn(account, user));
        const keys = (await deps.store.listAccessKeys(account)).filter((k) => k.userName === user);
        return {
          body: {
            AccessKeys: keys.map((k) => ({ AccessKeyId: k.accessKeyId, UserName: k.userName, Status: k.status, CreateDate: epochSeconds(k.createdAt), ...(k.lastUsedAt ? { LastUsedDate: epochSeconds(k.lastUsedAt) } : {}) })),
          },
        };
      },
    },
    {
      method: "PUT",
      path: "/iam/accounts/{account}/users/{user}/access-keys/{key}",
      handler: async (deps, call) => {
        const account = accountOf(call);
        authorize(deps, call, "UpdateAccessKey", account, userArn(account, call.params.user!));
        const status = str(call.body, "Status");
        if (status !== "Active" && status !== "Inactive") throw new ServiceError("ValidationException", "Status must be Active or Inactive.");
        const k = await deps.store.getAccessKey(call.params.key!);
        if (!k || k.accountId !== account || k.userName !== call.params.user) throw new ServiceError("ResourceNotFoundException", "No such access key for this user.");
        await deps.store.setAccessKeyStatus(k.accessKeyId, status);
        return changed({ body: { AccessKeyId: k.accessKeyId, Status: status } });
      },
    },
    {
      method: "DELETE",
      path: "/iam/accounts/{account}/users/{user}/access-keys/{key}",
      handler: async (deps, call) => {
        const account = accountOf(call);
        authorize(deps, call, "DeleteAccessKey", account, userArn(account, call.params.user!));
        const k = await deps.store.getAccessKey(call.params.key!);
        if (!k || k.accountId !== account || k.userName !== call.params.user) throw new ServiceError("ResourceNotFoundException", "No such access key for this user.");
        await deps.store.deleteAccessKey(k.accessKeyId);
        return changed({ status: 204 });
      },
    },
    {
      method: "PUT",
      path: "/iam/accounts/{account}/users/{user}/policies/{policy}",
      handler: async (deps, call) => {
        const account = accountOf(call);
        const user = call.params.user!;
        const name = call.params.policy!;
        authorize(deps, call, "PutUserPolicy", account, userArn(account, user));
        if (!POLICY_NAME.test(name)) throw new ServiceError("ValidationException", "PolicyName must be 1 to 128 of A-Z a-z 0-9 + = , . @ _ -");
        const doc = str(call.body, "PolicyDocument");
        if (typeof doc !== "string" || doc.length > 20_480) throw new ServiceError("ValidationException", "PolicyDocument must be a JSON document of at most 20,480 characters, as a string.");
        checkPolicy(doc, "identity");
        await requireUser(deps, account, user);
        await deps.store.putUserPolicy({ accountId: account, userName: user, policyName: name, document: doc, updatedAt: deps.clock() });
        return changed({ body: { UserName: user, PolicyName: name } });
      },
    },
    {
      method: "GET",
      path: "/iam/accounts/{account}/users/{user}/policies",
      handler: async (deps, call) => {
        const account = accountOf(call);
        authorize(deps, call, "ListUserPolicies", account, userArn(account, call.params.user!));
        return { body: { PolicyNames: (await deps.store.listUserPolicies(account, call.params.user!)).map((p) => p.policyName) } };
      },
    },
    {
      method: "GET",
      path: "/iam/accounts/{account}/users/{user}/policies/{policy}",
      handler: async (deps, call) => {
        const account = accountOf(call);
        authorize(deps, call, "GetUserPolicy", account, userArn(account, call.params.user!));
        const p = await deps.store.getUserPolicy(account, call.params.user!, call.params.policy!);
        if (!p) throw new ServiceError("ResourceNotFoundException", `No policy ${call.params.policy!.slice(0, 128)}.`);
        return { body: { UserName: p.userName, PolicyName: p.policyName, PolicyDocument: p.document } };
      },
    },
    {
      method: "DELETE",
      path: "/iam/accounts/{account}/users/{user}/policies/{policy}",
      handler: async (deps, call) => {
        const account = accountOf(call);
        authorize(deps, call, "DeleteUserPolicy", account, userArn(account, call.params.user!));
        if (!(await deps.store.deleteUserPolicy(account, call.params.user!, call.params.policy!))) throw new ServiceError("ResourceNotFoundException", `No policy ${call.params.policy!.slice(0, 128)}.`);
        return changed({ status: 204 });
      },
    },
  ];
}
