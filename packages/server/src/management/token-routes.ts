import { ServiceError } from "@keyshift/protocol";
import type { ManagementRoute } from "../http/management.js";
import { userArn } from "../iam/principal.js";
import { authorizeAction, bodyObject, seconds } from "./access.js";
import type { TokenDirectory, TokenRecord } from "./tokens.js";

const USER = /^[\w+=,.@-]{1,64}$/;
const MAX_DAYS = 3650;

/** A token as listed: metadata only (never the secret or its hash). */
function tokenView(t: TokenRecord, now: number) {
  const state = t.revokedAt !== undefined ? "revoked" : t.expiresAt !== undefined && t.expiresAt <= now ? "expired" : "active";
  return {
    token_id: t.id, user_name: t.userName, user_arn: userArn(t.accountId, t.userName), region: t.region, state,
    created_at: seconds(t.createdAt), created_by: t.createdBy,
    ...(t.expiresAt !== undefined ? { expires_at: seconds(t.expiresAt) } : {}),
    ...(t.revokedAt !== undefined ? { revoked_at: seconds(t.revokedAt) } : {}),
    ...(t.description !== undefined ? { description: t.description } : {}),
  };
}

/**
 * Bearer tokens: `POST /v1/tokens` creates one for a user of the caller's account (the caller
 * by default), `GET /v1/tokens` lists them, `DELETE /v1/tokens/{TokenId}` revokes one. Authorized
 * as keyshift:CreateToken / ListTokens / RevokeToken on the user's ARN, so that a policy can let
 * users manage their own tokens (`arn:aws:iam::*:user/${aws:username}`).
 */
export function tokenRoutes(tokens: TokenDirectory): ManagementRoute[] {
  return [
    {
      method: "POST",
      path: "/tokens",
      handler: async (deps, call) => {
        const b = bodyObject(call);
        const userName = b.user_name ?? call.principal.userName;
        if (typeof userName !== "string" || !USER.test(userName)) throw new ServiceError("ValidationException", "user_name must be an IAM user name.");
        authorizeAction(deps, call, "CreateToken", userArn(call.principal.accountId, userName));
        const days = b.expires_in_days;
        if (days !== undefined && (typeof days !== "number" || !(days > 0) || days > MAX_DAYS)) throw new ServiceError("ValidationException", `expires_in_days must be a number above 0 and at most ${MAX_DAYS}.`);
        if (b.description !== undefined && (typeof b.description !== "string" || b.description.length > 256)) throw new ServiceError("ValidationException", "description must be a string of at most 256 characters.");
        if (!(await deps.store.getUser(call.principal.accountId, userName))) throw new ServiceError("ResourceNotFoundException", `The user with name ${userName} cannot be found.`);
        const { token, record } = await tokens.create({
          accountId: call.principal.accountId, userName, region: call.region, createdBy: call.principal.arn,
          ...(typeof days === "number" ? { expiresAt: deps.clock() + days * 86_400_000 } : {}),
          ...(typeof b.description === "string" ? { description: b.description } : {}),
        });
        return { status: 201, body: { ...tokenView(record, deps.clock()), token } };
      },
    },
    {
      method: "GET",
      path: "/tokens",
      handler: async (deps, call) => {
        const userName = call.query.get("user_name");
        if (userName !== null && !USER.test(userName)) throw new ServiceError("ValidationException", "user_name must be an IAM user name.");
        authorizeAction(deps, call, "ListTokens", userName === null ? "*" : userArn(call.principal.accountId, userName));
        const now = deps.clock();
        const all = await tokens.list(call.principal.accountId);
        return { body: { tokens: all.filter((t) => userName === null || t.userName === userName).map((t) => tokenView(t, now)) } };
      },
    },
    {
      method: "DELETE",
      path: "/tokens/{TokenId}",
      handler: async (deps, call) => {
        const t = await tokens.get(call.params.TokenId!);
        const mine = t && t.accountId === call.principal.accountId ? t : undefined;
        // Decided on the user's ARN when the token exists, else on "*": the answer does not reveal other accounts' tokens.
        authorizeAction(deps, call, "RevokeToken", mine ? userArn(mine.accountId, mine.userName) : "*");
        const revoked = mine && (await tokens.revoke(call.principal.accountId, mine.id));
        if (!revoked) throw new ServiceError("ResourceNotFoundException", "No such token.");
        return { body: tokenView(revoked, deps.clock()) };
      },
    },
  ];
}
