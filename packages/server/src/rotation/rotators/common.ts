import { RotationError, type StepRequest } from "../rotator.js";

/**
 * The finishSecret every AWS template has: move AWSCURRENT to the pending version, naming the
 * version that holds it now. Idempotent.
 */
export async function finishByMovingCurrent(req: StepRequest): Promise<void> {
  const meta = await req.client.describeSecret({ SecretId: req.secretArn });
  const current = Object.entries(meta.VersionIdsToStages ?? {}).find(([, stages]) => stages.includes("AWSCURRENT"))?.[0];
  if (current === req.token) return;
  await req.client.updateSecretVersionStage({
    SecretId: req.secretArn,
    VersionStage: "AWSCURRENT",
    MoveToVersionId: req.token,
    ...(current !== undefined ? { RemoveFromVersionId: current } : {}),
  });
}

/** The value of the AWSPENDING version being rotated to, or undefined while createSecret has not set one. */
export async function pendingValue(req: StepRequest): Promise<string | undefined> {
  try {
    const v = await req.client.getSecretValue({ SecretId: req.secretArn, VersionId: req.token, VersionStage: "AWSPENDING" });
    return v.SecretString;
  } catch (e) {
    if ((e as { code?: string }).code === "ResourceNotFoundException") return undefined;
    throw e;
  }
}

export async function currentValue(req: StepRequest): Promise<string | undefined> {
  try {
    return (await req.client.getSecretValue({ SecretId: req.secretArn, VersionStage: "AWSCURRENT" })).SecretString;
  } catch (e) {
    if ((e as { code?: string }).code === "ResourceNotFoundException") return undefined;
    throw e;
  }
}

/** Parses a secret value that must be a JSON object. */
export function jsonSecret(text: string | undefined, what: string): Record<string, unknown> {
  if (text === undefined) throw new RotationError(`the ${what} version has no string value`);
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    throw new RotationError(`the ${what} value is not JSON`);
  }
  if (typeof v !== "object" || v === null || Array.isArray(v)) throw new RotationError(`the ${what} value is not a JSON object`);
  return v as Record<string, unknown>;
}

/** Password options shared by the built-in rotators: `passwordLength` (default 32) and `excludeCharacters` (default `"@/\`). */
export function passwordRequest(options: Readonly<Record<string, string>>): { PasswordLength: number; ExcludeCharacters: string } {
  const length = options.passwordLength === undefined ? 32 : Number(options.passwordLength);
  if (!Number.isInteger(length) || length < 8 || length > 4096) throw new RotationError("option passwordLength must be an integer from 8 to 4096");
  return { PasswordLength: length, ExcludeCharacters: options.excludeCharacters ?? `"@/\\` };
}
