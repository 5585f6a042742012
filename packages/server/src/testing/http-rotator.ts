import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { DescribeSecretCommand, GetSecretValueCommand, PutSecretValueCommand, UpdateSecretVersionStageCommand, type SecretsManagerClient } from "@aws-sdk/client-secrets-manager";

export interface RotationEvent {
  Step: string;
  SecretId: string;
  ClientRequestToken: string;
  RotationToken: string;
}

export type StepBehaviour = (e: RotationEvent) => Promise<{ status: number; body?: string } | void>;

/**
 * A rotation function behind HTTP for tests: each step runs `behaviour` if it answers, else the
 * AWS template's default (createSecret puts a new value as AWSPENDING, finishSecret moves
 * AWSCURRENT), calling Keyshift back with the real AWS SDK as a Lambda would.
 */
export async function startHttpRotator(client: SecretsManagerClient, behaviour: StepBehaviour = async () => undefined): Promise<{ url: string; events: RotationEvent[]; close(): Promise<void> }> {
  const events: RotationEvent[] = [];
  const template = async (e: RotationEvent): Promise<void> => {
    if (e.Step === "createSecret") {
      try {
        await client.send(new GetSecretValueCommand({ SecretId: e.SecretId, VersionId: e.ClientRequestToken, VersionStage: "AWSPENDING" }));
      } catch {
        await client.send(new PutSecretValueCommand({ SecretId: e.SecretId, ClientRequestToken: e.ClientRequestToken, SecretString: `rotated-${e.ClientRequestToken}`, VersionStages: ["AWSPENDING"] }));
      }
    } else if (e.Step === "finishSecret") {
      const d = await client.send(new DescribeSecretCommand({ SecretId: e.SecretId }));
      const current = Object.entries(d.VersionIdsToStages ?? {}).find(([, s]) => s.includes("AWSCURRENT"))?.[0];
      if (current !== e.ClientRequestToken) {
        await client.send(new UpdateSecretVersionStageCommand({ SecretId: e.SecretId, VersionStage: "AWSCURRENT", MoveToVersionId: e.ClientRequestToken, ...(current ? { RemoveFromVersionId: current } : {}) }));
      }
    }
  };
  const server: Server = createServer((req, res) => {
    let body = "";
    req.on("data", (d: Buffer) => (body += d.toString()));
    req.on("end", () => {
      const e = JSON.parse(body) as RotationEvent;
      events.push(e);
      behaviour(e)
        .then(async (answer) => {
          if (answer) {
            res.writeHead(answer.status);
            res.end(answer.body ?? "");
            return;
          }
          await template(e);
          res.writeHead(200);
          res.end("{}");
        })
        .catch((err: Error) => {
          res.writeHead(500);
          res.end(String(err.message));
        });
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/rotate`,
    events,
    close: () => new Promise((r) => server.close(() => r())),
  };
}
