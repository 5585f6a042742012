/**
 * A policy document breaks the grammar of the IAM JSON policy language. The message starts with
 * the path of the offending element, e.g. `Statement[1].Condition: unknown operator StringEqualz`.
 */
export class PolicySyntaxError extends Error {
  override readonly name = "PolicySyntaxError";
}

export function syntaxError(path: string, problem: string): PolicySyntaxError {
  return new PolicySyntaxError(path ? `${path}: ${problem}` : problem);
}
