import { ServiceError, isServiceError } from "@keyshift/protocol";
import type { APIErrorType, BatchGetSecretValueRequest, BatchGetSecretValueResponse, SecretValueEntry } from "@keyshift/protocol";
import type { RequestContext, SecretsDeps } from "../context.js";
import type { Filter } from "../list-filters.js";
import { authorizeOn, requireSecret } from "../resolve.js";
import { AWSCURRENT } from "../stages.js";
import { readValue } from "./get-secret-value.js";
import { findSecrets } from "./list-secrets.js";

/**
 * BatchGetSecretValue: the AWSCURRENT values of up to 20 secrets, named (SecretIdList) or found
 * (Filters, which also needs ListSecrets). A secret that is missing or denied is reported in
 * Errors and does not fail the call.
 */
export async function batchGetSecretValue(deps: SecretsDeps, ctx: RequestContext, input: BatchGetSecretValueRequest): Promise<BatchGetSecretValueResponse> {
  const byId = input.SecretIdList !== undefined;
  const byFilter = input.Filters !== undefined;
  if (byId === byFilter) throw new ServiceError("InvalidParameterException", "Either 'SecretIdList' or 'Filters' must be provided, but not both.");
  if (input.MaxResults !== undefined && !byFilter) {
    throw new ServiceError("InvalidParameterException", "'Filters' not specified. 'Filters' must also be specified when 'MaxResults' is provided.");
  }
  authorizeOn(deps, ctx, "BatchGetSecretValue", "*", undefined);
  const values: SecretValueEntry[] = [];
  const errors: APIErrorType[] = [];
  const report = (secretId: string, e: unknown) => {
    if (!isServiceError(e)) throw e;
    errors.push({ SecretId: secretId, ErrorCode: e.code, Message: e.message });
  };
  if (byId) {
    if (input.NextToken !== undefined) throw new ServiceError("InvalidParameterException", "'NextToken' can only be used with 'Filters'.");
    for (const id of input.SecretIdList!) {
      try {
        const s = await requireSecret(deps, ctx, id, "GetSecretValue", () => ({ "secretsmanager:VersionStage": AWSCURRENT }));
        values.push(await readValue(deps, s, undefined, undefined));
      } catch (e) {
        report(id, e);
      }
    }
    noteSecrets(ctx, values);
    return { SecretValues: values, Errors: errors };
  }
  authorizeOn(deps, ctx, "ListSecrets", "*", undefined);
  const page = await findSecrets(deps, ctx, {
    filters: input.Filters as Filter[],
    max: input.MaxResults ?? 20,
    includeDeleted: false,
    ...(input.NextToken !== undefined ? { nextToken: input.NextToken } : {}),
  });
  for (const s of page.secrets) {
    try {
      authorizeOn(deps, ctx, "GetSecretValue", s.arn, s, () => ({ "secretsmanager:VersionStage": AWSCURRENT }));
      values.push(await readValue(deps, s, undefined, undefined));
    } catch (e) {
      report(s.arn, e);
    }
  }
  noteSecrets(ctx, values);
  return { SecretValues: values, ...(page.nextToken ? { NextToken: page.nextToken } : {}), Errors: errors };
}

/** The call record names every secret read (audit: who read which secret), never a value. */
function noteSecrets(ctx: RequestContext, values: readonly SecretValueEntry[]): void {
  if (!ctx.call) return;
  ctx.call.secrets = values.map((v) => ({ arn: v.ARN!, ...(v.Name ? { name: v.Name } : {}), ...(v.VersionId ? { versionId: v.VersionId } : {}), versionStage: AWSCURRENT }));
}
