import { AgentHttpError } from "./agent-http-error.js";

/** One request for a secret, from either route. */
export interface SecretQuery {
  secretId: string;
  versionId?: string;
  versionStage?: string;
  refreshNow: boolean;
}

function refreshValue(v: string): boolean {
  switch (v.toLowerCase()) {
    case "true":
    case "1":
      return true;
    case "false":
    case "0":
      return false;
    default:
      throw new AgentHttpError(400, "invalid refreshNow value");
  }
}

/** Reads the optional parameters in order; the first unknown one is the error (as the AWS agent's loop). */
function readParams(params: URLSearchParams, q: SecretQuery, allowSecretId: boolean): void {
  for (const [k, v] of params) {
    if (k === "secretId" && allowSecretId) q.secretId = v;
    else if (k === "versionId") q.versionId = v;
    else if (k === "versionStage") q.versionStage = v;
    else if (k === "refreshNow") q.refreshNow = refreshValue(v);
    else throw new AgentHttpError(400, `unknown parameter: ${k}`);
  }
}

/** `GET /secretsmanager/get?secretId=&versionId=&versionStage=&refreshNow=`. */
export function queryFromParams(params: URLSearchParams): SecretQuery {
  const q: SecretQuery = { secretId: "", refreshNow: false };
  readParams(params, q, true);
  if (q.secretId === "") throw new AgentHttpError(400, "missing parameter secretId");
  return q;
}

/** `GET <prefix><secretId>?versionId=&versionStage=&refreshNow=`; the id is percent-decoded. */
export function queryFromPath(pathname: string, prefix: string, params: URLSearchParams): SecretQuery {
  let secretId: string;
  try {
    secretId = decodeURIComponent(pathname.slice(prefix.length));
  } catch {
    throw new AgentHttpError(400, "invalid secret ID");
  }
  if (secretId === "") throw new AgentHttpError(400, "missing secret ID");
  const q: SecretQuery = { secretId, refreshNow: false };
  readParams(params, q, false);
  return q;
}
