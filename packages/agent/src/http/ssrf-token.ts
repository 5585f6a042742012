import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";

/**
 * The SSRF token, as the AWS agent finds it at start-up: the value of the first variable of
 * `ssrf_env_variables` that is set; a value `file:///path` names a file holding the token
 * (surrounding whitespace, such as the trailing newline, is dropped). Throws when no variable is
 * set or the token is empty: the agent does not start without one.
 */
export function resolveSsrfToken(variables: readonly string[], env: NodeJS.ProcessEnv): string {
  const name = variables.find((v) => env[v] !== undefined && env[v] !== "");
  if (name === undefined) throw new Error(`no SSRF token: set one of ${variables.join(", ")}`);
  const value = env[name]!;
  let token = value;
  if (value.startsWith("file://")) {
    try {
      token = readFileSync(fileURLToPath(value), "utf8").trim();
    } catch (e) {
      throw new Error(`cannot read the SSRF token file named by ${name}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
    }
  }
  if (token === "") throw new Error(`the SSRF token from ${name} is empty`);
  return token;
}
