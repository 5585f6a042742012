import { request as httpRequest } from "node:http";
import { request as httpsRequest } from "node:https";
import { RotationError, type Rotator, type Step, type StepRequest } from "../../rotator.js";
import type { RotatorRegistration } from "../../records.js";

const MAX_BODY = 64 * 1024;

/** POSTs the AWS rotation event; resolves on a 2xx answer, throws RotationError otherwise. */
function invoke(url: URL, step: Step, req: StepRequest): Promise<void> {
  const event = JSON.stringify({ Step: step, SecretId: req.secretArn, ClientRequestToken: req.token, RotationToken: req.rotationToken });
  const send = url.protocol === "https:" ? httpsRequest : httpRequest;
  return new Promise((resolve, reject) => {
    const r = send(url, { method: "POST", headers: { "Content-Type": "application/json", "Content-Length": Buffer.byteLength(event), "User-Agent": "keyshift-rotation-engine" }, signal: req.signal }, (res) => {
      let body = "";
      res.setEncoding("utf8");
      res.on("data", (d: string) => {
        if (body.length < MAX_BODY) body += d;
      });
      res.on("end", () => {
        const status = res.statusCode ?? 0;
        if (status >= 200 && status < 300) resolve();
        else reject(new RotationError(`${step}: the rotation function answered HTTP ${status}: ${body.slice(0, 1000)}`));
      });
      res.on("error", (e) => reject(new RotationError(`${step}: reading the rotation function's answer failed: ${e.message}`)));
    });
    r.on("error", (e) => reject(new RotationError(`${step}: calling the rotation function at ${url.origin} failed: ${e.message}`)));
    r.end(event);
  });
}

/**
 * A user's rotation function behind an HTTP endpoint: for each step the engine POSTs the exact
 * AWS Lambda rotation event (`{"Step","SecretId","ClientRequestToken","RotationToken"}`), and
 * the function calls the Secrets Manager API back with its own credentials, as a Lambda does.
 */
export function httpRotator(reg: RotatorRegistration): Rotator {
  const url = new URL(reg.url);
  return {
    name: reg.name,
    description: `HTTP rotation function at ${url.origin}${url.pathname}`,
    createSecret: (req) => invoke(url, "createSecret", req),
    setSecret: (req) => invoke(url, "setSecret", req),
    testSecret: (req) => invoke(url, "testSecret", req),
    finishSecret: (req) => invoke(url, "finishSecret", req),
  };
}
