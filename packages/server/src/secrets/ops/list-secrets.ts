import { ServiceError } from "@keyshift/protocol";
import type { ListSecretsRequest, ListSecretsResponse } from "@keyshift/protocol";
import type { SecretSortKey } from "../../storage/store.js";
import type { RequestContext, SecretsDeps } from "../context.js";
import { compileFilters, type Filter } from "../list-filters.js";
import { decodeToken, encodeToken } from "../page-token.js";
import type { SecretRecord } from "../records.js";
import { authorizeOn } from "../resolve.js";
import { versionOwner } from "../values.js";
import { listEntryView, primaryRegionOf } from "../views.js";

/** Rows examined per request at most: a selective filter over a large account pages instead of scanning everything at once. */
const SCAN_BUDGET = 5000;
const BATCH = 200;

export interface SecretPage {
  secrets: SecretRecord[];
  nextToken?: string;
}

function sortValue(s: SecretRecord, by: SecretSortKey): string | number {
  switch (by) {
    case "created-date": return s.createdAt;
    case "last-changed-date": return s.lastChangedAt;
    case "last-accessed-date": return s.lastAccessedAt ?? 0;
    case "name": return s.name;
  }
}

/**
 * One page of the caller's secrets in this region that match `filters`, in the requested order.
 * The NextToken carries the last position examined; a page may be short or empty while a token
 * is still returned (AWS documents the same).
 */
export async function findSecrets(
  deps: SecretsDeps,
  ctx: RequestContext,
  q: { filters?: Filter[]; max: number; nextToken?: string; includeDeleted: boolean; sortBy?: SecretSortKey; order?: "asc" | "desc" },
): Promise<SecretPage> {
  const sortBy = q.sortBy ?? "created-date";
  const order = q.order ?? "asc";
  for (const f of q.filters ?? []) {
    if (!f.Key) throw new ServiceError("InvalidParameterException", "Invalid filter key");
    if (!f.Values) throw new ServiceError("InvalidParameterException", `Invalid filter values for key: ${f.Key}`);
  }
  const matches = compileFilters(q.filters);
  let after: { key: string | number | null; uid: string } | undefined;
  if (q.nextToken !== undefined) {
    const t = decodeToken(q.nextToken);
    if (t.b !== sortBy || t.o !== order || typeof t.u !== "string" || (typeof t.k !== "string" && typeof t.k !== "number")) {
      throw new ServiceError("InvalidNextTokenException", "The NextToken value is invalid.");
    }
    after = { key: t.k, uid: t.u };
  }
  const out: SecretRecord[] = [];
  let scanned = 0;
  for (;;) {
    const rows = await deps.store.listSecrets({ accountId: ctx.principal.accountId, region: ctx.region, includeDeleted: q.includeDeleted, sortBy, order, ...(after ? { after } : {}), limit: BATCH });
    for (const s of rows) {
      after = { key: sortValue(s, sortBy), uid: s.uid };
      scanned++;
      const f = { name: s.name, tags: s.tags ?? [], ...(s.description !== undefined ? { description: s.description } : {}), ...(s.owningService !== undefined ? { owningService: s.owningService } : {}) };
      const region = primaryRegionOf(s);
      if (matches(region !== undefined ? { ...f, primaryRegion: region } : f)) out.push(s);
      if (out.length === q.max) return { secrets: out, nextToken: encodeToken({ k: after.key, u: after.uid, b: sortBy, o: order }) };
    }
    if (rows.length < BATCH) return { secrets: out };
    if (scanned >= SCAN_BUDGET && after) return { secrets: out, nextToken: encodeToken({ k: after.key, u: after.uid, b: sortBy, o: order }) };
  }
}

export async function listSecrets(deps: SecretsDeps, ctx: RequestContext, input: ListSecretsRequest): Promise<ListSecretsResponse> {
  authorizeOn(deps, ctx, "ListSecrets", "*", undefined);
  await deps.access.flush();
  const page = await findSecrets(deps, ctx, {
    max: input.MaxResults ?? 100,
    includeDeleted: input.IncludePlannedDeletion === true,
    ...(input.Filters ? { filters: input.Filters as Filter[] } : {}),
    ...(input.NextToken !== undefined ? { nextToken: input.NextToken } : {}),
    ...(input.SortBy ? { sortBy: input.SortBy } : {}),
    ...(input.SortOrder ? { order: input.SortOrder } : {}),
  });
  const stages = await deps.store.stagesBySecret([...new Set(page.secrets.map(versionOwner))]);
  return {
    SecretList: page.secrets.map((s) => {
      const m = stages.get(versionOwner(s));
      return listEntryView(s, m ? Object.fromEntries(m) : undefined, primaryRegionOf(s));
    }),
    ...(page.nextToken ? { NextToken: page.nextToken } : {}),
  };
}
