import { randomUUID } from "node:crypto";
import type { SecretsDeps } from "../secrets/context.js";
import { inProcessClient, SeenValues } from "../rotation/in-process-client.js";
import { STEPS, type Rotator, type Step, type StepRequest } from "../rotation/rotator.js";

/**
 * Sets a secret up for one rotation the way the engine does (a value-less version `token`
 * labeled AWSPENDING) and hands out the step requests, for testing a rotator step by step
 * without the engine.
 */
export async function prepareRotation(
  deps: SecretsDeps,
  o: { accountId: string; region: string; secretName: string; options?: Record<string, string> },
): Promise<{ token: string; seen: SeenValues; request(step: Step): StepRequest; runAll(r: Rotator): Promise<void> }> {
  const secret = await deps.store.getSecretByName(o.accountId, o.region, o.secretName);
  if (!secret) throw new Error(`no secret ${o.secretName}`);
  const token = randomUUID();
  await deps.store.commit([
    { op: "insertVersion", secretUid: secret.uid, versionId: token, createdAt: deps.clock() },
    { op: "setStage", secretUid: secret.uid, stage: "AWSPENDING", versionId: token },
  ]);
  const seen = new SeenValues();
  const client = inProcessClient(deps, o.accountId, o.region, seen);
  const request = (step: Step): StepRequest => ({
    step, secretArn: secret.arn, token, rotationToken: randomUUID(), options: o.options ?? {}, client, signal: new AbortController().signal,
  });
  return {
    token,
    seen,
    request,
    runAll: async (r) => {
      for (const step of STEPS) await r[step](request(step));
    },
  };
}
