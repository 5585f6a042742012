import { ServiceError } from "@keyshift/protocol";
import type { TagResourceRequest, UntagResourceRequest, Tag } from "@keyshift/protocol";
import type { RequestContext, SecretsDeps } from "../context.js";
import { mutateSecret, revise, saveWithReplicas } from "../mutation.js";
import { assertNotDeleted, assertNotReplica, requireSecret } from "../resolve.js";
import { dedupeTags } from "./create-secret.js";

/** AWS quota: tags per secret. */
export const MAX_TAGS = 50;
const TAG_CHARS = /^[\p{L}\p{Z}\p{N}_.:/=+\-@]*$/u;

/** Tag rules AWS applies beyond the model's lengths: a key is required, `aws:` is reserved, the character set. */
export function assertValidTags(tags: readonly Tag[]): void {
  for (const t of tags) {
    if (t.Key === undefined || t.Key === "") throw new ServiceError("InvalidParameterException", "You must provide a tag key.");
    if (t.Key.toLowerCase().startsWith("aws:")) throw new ServiceError("InvalidParameterException", "Invalid tag key: the aws: prefix is reserved for AWS use.");
    if (!TAG_CHARS.test(t.Key) || !TAG_CHARS.test(t.Value ?? "")) {
      throw new ServiceError("InvalidParameterException", "Tags can contain only letters, numbers, spaces and the characters _ . : / = + - @.");
    }
  }
  if (new Set(tags.map((t) => t.Key)).size > MAX_TAGS) throw new ServiceError("InvalidParameterException", `A secret can have at most ${MAX_TAGS} tags.`);
}

/** TagResource: adds tags, overwriting the values of existing keys. */
export async function tagResource(deps: SecretsDeps, ctx: RequestContext, input: TagResourceRequest): Promise<Record<string, never>> {
  assertValidTags(input.Tags);
  const first = await requireSecret(deps, ctx, input.SecretId, "TagResource", () => ({
    "aws:TagKeys": input.Tags.map((t) => t.Key),
    ...Object.fromEntries(input.Tags.map((t) => [`aws:RequestTag/${t.Key}`, t.Value ?? ""])),
  }));
  assertNotReplica(first);
  assertNotDeleted(first);
  return mutateSecret(deps, first, async (s) => {
    assertNotDeleted(s);
    const tags = dedupeTags([...(s.tags ?? []), ...input.Tags]);
    if (tags.length > MAX_TAGS) throw new ServiceError("InvalidParameterException", `A secret can have at most ${MAX_TAGS} tags.`);
    return { changes: await saveWithReplicas(deps, revise(s, { tags, lastChangedAt: deps.clock() })), result: {} };
  });
}

/** UntagResource: removes the keys; removing an absent key is not an error. */
export async function untagResource(deps: SecretsDeps, ctx: RequestContext, input: UntagResourceRequest): Promise<Record<string, never>> {
  const first = await requireSecret(deps, ctx, input.SecretId, "UntagResource", () => ({ "aws:TagKeys": input.TagKeys }));
  assertNotReplica(first);
  assertNotDeleted(first);
  return mutateSecret(deps, first, async (s) => {
    assertNotDeleted(s);
    const drop = new Set(input.TagKeys);
    const tags = (s.tags ?? []).filter((t) => !drop.has(t.Key));
    return { changes: await saveWithReplicas(deps, revise(s, { tags, lastChangedAt: deps.clock() })), result: {} };
  });
}
