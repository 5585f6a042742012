import { callApi } from "../cli/api-client.js";
import { TEST_KEY_ID, TEST_REGION, TEST_SECRET } from "./harness.js";

const env = { AWS_ACCESS_KEY_ID: TEST_KEY_ID, AWS_SECRET_ACCESS_KEY: TEST_SECRET };

export interface HistoryEntry {
  RotationId: string;
  Status: string;
  ToVersionId: string;
  Steps: { Step: string; Outcome?: string }[];
}

/** Polls the history API of a server in another process until the secret's latest rotation has ended; returns the history, newest first. */
export async function waitForHistory(endpoint: string, secretId: string): Promise<HistoryEntry[]> {
  for (let i = 0; i < 400; i++) {
    const h = (await callApi({ endpointUrl: endpoint, region: TEST_REGION }, "GET", `/v1/rotations?SecretId=${encodeURIComponent(secretId)}`, undefined, env)) as { Rotations: HistoryEntry[] };
    if (h.Rotations.length && h.Rotations[0]!.Status !== "running") return h.Rotations;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error("the rotation did not end");
}

