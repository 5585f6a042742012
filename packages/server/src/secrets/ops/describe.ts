import type { DescribeSecretRequest, DescribeSecretResponse, ListSecretVersionIdsRequest, ListSecretVersionIdsResponse } from "@keyshift/protocol";
import { ServiceError } from "@keyshift/protocol";
import type { RequestContext, SecretsDeps } from "../context.js";
import { requireSecret } from "../resolve.js";
import { describeView, primaryRegionOf, versionEntryView } from "../views.js";
import { versionOwner } from "../values.js";
import { decodeToken, encodeToken } from "../page-token.js";

/** DescribeSecret: metadata only, also for a secret scheduled for deletion. */
export async function describeSecret(deps: SecretsDeps, ctx: RequestContext, input: DescribeSecretRequest): Promise<DescribeSecretResponse> {
  await deps.access.flush();
  const s = await requireSecret(deps, ctx, input.SecretId, "DescribeSecret");
  const versions = await deps.store.listVersions(versionOwner(s));
  return describeView(s, versions, primaryRegionOf(s));
}

/** ListSecretVersionIds: oldest first; versions without labels only with IncludeDeprecated. */
export async function listSecretVersionIds(deps: SecretsDeps, ctx: RequestContext, input: ListSecretVersionIdsRequest): Promise<ListSecretVersionIdsResponse> {
  await deps.access.flush();
  const s = await requireSecret(deps, ctx, input.SecretId, "ListSecretVersionIds");
  const all = (await deps.store.listVersions(versionOwner(s))).filter((v) => input.IncludeDeprecated === true || v.stages.length > 0);
  const start = input.NextToken !== undefined ? offsetFrom(input.NextToken, s.uid) : 0;
  const max = input.MaxResults ?? 100;
  const page = all.slice(start, start + max);
  const next = start + max < all.length ? encodeToken({ o: start + max, s: s.uid }) : undefined;
  return {
    Versions: page.map((v) => versionEntryView(v, s.kmsKeyId)),
    ...(next ? { NextToken: next } : {}),
    ARN: s.arn,
    Name: s.name,
  };
}

function offsetFrom(token: string, uid: string): number {
  const t = decodeToken(token);
  if (typeof t.o !== "number" || t.s !== uid || t.o < 0) throw new ServiceError("InvalidNextTokenException", "The NextToken value is invalid.");
  return t.o;
}
