/**
 * GetRandomPassword semantics. The rotation engine uses this too, so it has no HTTP dependency: it takes
 * the request members and returns the password, or throws the ServiceError AWS would answer with.
 *
 * Sources: the Smithy model docs (GetRandomPasswordRequest), the reference page
 * (shared/reference/aws-secrets-manager.md) and moto 5 (moto/secretsmanager/utils.py random_password
 * and models.py get_random_password). Choices where they disagree:
 *
 * - Too short. moto rejects every PasswordLength < 4, whatever the options, with "Password length is too
 *   short based on the required types.". We FOLLOW THE MESSAGE (and the brief): the error applies only when
 *   the length can't hold one character of each required type. So length 1 works with
 *   RequireEachIncludedType=false, or when only one type is left. moto's fixed 4 counts the default four
 *   types; it is not a measured AWS limit.
 * - Types. AWS docs: "at least one upper and lowercase letter, one number, and one punctuation". Uppercase
 *   and lowercase are two types (moto agrees). With IncludeSpace, space is a required type too (moto
 *   appends a space as well).
 * - A type whose characters are all removed by ExcludeCharacters (for example ExcludeCharacters = the full
 *   punctuation set) is treated as excluded: it is no longer required, and the password is built from what
 *   is left. moto crashes with HTTP 500 here (random.choice on an empty string). An error would make the
 *   common "exclude some punctuation" recipe fragile, so we don't raise one.
 * - Excluded characters never appear, space included. moto still appends the required space when
 *   ExcludeCharacters contains " ", and then returns PasswordLength + 1 characters. We treat that as a moto bug.
 * - Required characters sit at uniformly random positions: the final array is shuffled with Fisher-Yates.
 *   moto always puts them at the end (lowercase, uppercase, digit, punctuation, space), and it overwrites
 *   only the last len(required) characters. Every character is drawn with node:crypto randomInt, which
 *   is unbiased.
 * - Every character excluded: neither moto nor the reference has a message. moto fails with HTTP 500. We
 *   answer InvalidParameterException with `NO_CHARACTERS_MESSAGE`. That wording is ours and has not been
 *   checked against AWS.
 * - PasswordLength outside 1..4096, or not an integer, is a model constraint. The HTTP layer rejects it
 *   with ValidationException before we are called. For direct callers (rotation), we run the same model
 *   validation, so the error is the same one.
 */
import { randomInt } from "node:crypto";
import { ServiceError, validateInput, type GetRandomPasswordRequest } from "@keyshift/protocol";

/** The GetRandomPassword request members. */
export type PasswordOptions = GetRandomPasswordRequest;

export const DEFAULT_PASSWORD_LENGTH = 32;
export const MAX_PASSWORD_LENGTH = 4096;

export const LOWERCASE = "abcdefghijklmnopqrstuvwxyz";
export const UPPERCASE = "ABCDEFGHIJKLMNOPQRSTUVWXYZ";
export const DIGITS = "0123456789";
/** Exactly the set the API documents (Python's string.punctuation, as moto uses). */
export const PUNCTUATION = "!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~";
export const SPACE = " ";

/** moto models.py, verbatim. */
export const TOO_SHORT_MESSAGE = "Password length is too short based on the required types.";
/** Our wording, not checked against AWS (moto answers HTTP 500 here). See the header. */
export const NO_CHARACTERS_MESSAGE =
  "The password can't be generated because every character is excluded. Include at least one character type, or exclude fewer characters.";

/** Picks a uniformly random element. Uses node:crypto randomInt, which is unbiased. */
function pick(chars: string): string {
  return chars[randomInt(chars.length)]!;
}

/** CSPRNG password per AWS rules; throws ServiceError InvalidParameterException as AWS does. */
export function generatePassword(opts: PasswordOptions): string {
  // Same model constraints as the wire (PasswordLength 1..4096 integer, ExcludeCharacters ≤ 4096, booleans).
  validateInput("GetRandomPasswordRequest", opts);

  const length = opts.PasswordLength ?? DEFAULT_PASSWORD_LENGTH;
  const excluded = new Set(opts.ExcludeCharacters ?? "");
  const keep = (set: string): string => [...set].filter((c) => !excluded.has(c)).join("");

  const types: string[] = [];
  if (!opts.ExcludeLowercase) types.push(keep(LOWERCASE));
  if (!opts.ExcludeUppercase) types.push(keep(UPPERCASE));
  if (!opts.ExcludeNumbers) types.push(keep(DIGITS));
  if (!opts.ExcludePunctuation) types.push(keep(PUNCTUATION));
  if (opts.IncludeSpace) types.push(keep(SPACE));
  // A type emptied by ExcludeCharacters counts as excluded (see the header).
  const included = types.filter((t) => t.length > 0);
  const pool = included.join("");
  if (pool.length === 0) throw new ServiceError("InvalidParameterException", NO_CHARACTERS_MESSAGE);

  const required = (opts.RequireEachIncludedType ?? true) ? included : [];
  if (length < required.length) throw new ServiceError("InvalidParameterException", TOO_SHORT_MESSAGE);

  const chars: string[] = required.map(pick);
  while (chars.length < length) chars.push(pick(pool));
  // Fisher-Yates, so the required characters land at uniformly random positions.
  for (let i = chars.length - 1; i > 0; i--) {
    const j = randomInt(i + 1);
    const t = chars[i]!;
    chars[i] = chars[j]!;
    chars[j] = t;
  }
  return chars.join("");
}
