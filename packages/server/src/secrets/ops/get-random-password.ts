import type { GetRandomPasswordRequest, GetRandomPasswordResponse } from "@keyshift/protocol";
import type { RequestContext, SecretsDeps } from "../context.js";
import { generatePassword } from "../random-password.js";
import { authorizeOn } from "../resolve.js";

export async function getRandomPassword(deps: SecretsDeps, ctx: RequestContext, input: GetRandomPasswordRequest): Promise<GetRandomPasswordResponse> {
  authorizeOn(deps, ctx, "GetRandomPassword", "*", undefined);
  return { RandomPassword: generatePassword(input) };
}
