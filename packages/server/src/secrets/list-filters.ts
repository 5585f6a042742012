/**
 * Filter semantics of ListSecrets and of BatchGetSecretValue with `Filters`.
 *
 * Input is already shape-validated (key enum, value pattern `^\!?[a-zA-Z0-9 :_@\/\+\=\.\-\!]*$`,
 * at most 10 filters with at most 10 values each). This module is pure: `compileFilters` prepares the
 * request's filters once, and the returned predicate is called once per secret.
 *
 * Sources and the choices made where they disagree:
 *
 * - The Smithy model (Filter.Key docs) says: `description` prefix match, not case-sensitive; `name`,
 *   `tag-key`, `tag-value`, `primary-region`, `owning-service` prefix match, case-sensitive; `all`
 *   "breaks the filter value string into words and then searches all attributes for matches", not
 *   case-sensitive; a leading `!` negates. It says nothing about how values or negations combine.
 * - moto 5 (moto/secretsmanager/list_secrets/filters.py) was checked against AWS for `description` and
 *   `all`: `description` uses the same word matching as `all` (moto's comment: "The documentation states
 *   that this search uses `Prefix match` But actual testing determines that it uses the same approach
 *   to the `all_filter`"). We FOLLOW MOTO for `description`, because its behaviour was observed on AWS
 *   while the doc line was not; both agree that it is case-insensitive.
 * - `all` and `description`: we port moto's word splitting exactly (see `splitWords`), including its
 *   surprising rule that a string holding two different separators (e.g. `my/secret+value`) is not split
 *   at all. That rule exists only because someone observed it on AWS; nothing else documents it.
 * - `all` searches the name, the description, the tag keys and the tag values (moto's attribute list;
 *   AWS only says "all attributes"). Primary region and owning service are not searched by `all`.
 * - `primary-region`: moto compares for exact equality and ignores `!`; we FOLLOW THE DOCS (prefix match,
 *   case-sensitive, `!` supported like every other key). moto's equality test has no sign of having been
 *   checked against AWS, and an exact value is a prefix of itself, so every moto match is also ours.
 * - `owning-service`: moto uses the word matching of `all` (case-insensitive); we FOLLOW THE DOCS (prefix
 *   match, case-sensitive). Unlike `description`, moto's code carries no note of having been checked
 *   against AWS. Real owning-service values are short lowercase ids (`rds`, `appflow`), so the two rarely
 *   give different answers.
 * - `name` is matched as a prefix of the whole name, not at `/` path components: `db` does not match
 *   `prod/db/password` (docs and moto agree). `all` does find path components, because it splits words at `/`.
 * - Combination (docs silent; we follow moto, the only source that describes it):
 *   - the values of one filter are OR-ed, and `!v` counts as one more alternative;
 *   - a value is tested against every attribute string of its key (each tag key, for example). A plain
 *     value matches when some attribute matches it. A negated value `!v` matches when some attribute does
 *     NOT match `v`. So `tag-key: !Env` still selects a secret tagged `Env` that also has a `team` tag,
 *     and `name: [!a, !b]` selects every name that fails to start with `a` or fails to start with `b`;
 *   - a secret that has no attribute for the key (no tags, no description, no primary region, no owning
 *     service) matches no value of that key, negated or not;
 *   - filters are AND-ed, including two filters with the same key.
 * - Empty values (docs silent; we follow moto): for prefix keys, `""` matches every secret that has the
 *   attribute, and `"!"` matches none. For word keys (`all`, `description`), `""` has no words and so
 *   matches nothing, while `"!"` matches every secret that has the attribute. Only the first `!` negates:
 *   `!!x` means "does not start with `!x`".
 */

export interface Filter {
  Key: "description" | "name" | "tag-key" | "tag-value" | "primary-region" | "owning-service" | "all";
  Values: string[];
}

export interface FilterableSecret {
  name: string;
  description?: string;
  tags: { Key: string; Value: string }[];
  /** Set only for a secret that takes part in replication (the primary or a replica), as DescribeSecret's PrimaryRegion. */
  primaryRegion?: string;
  owningService?: string;
}

export type FilterKey = Filter["Key"];

interface KeyRule {
  /** The attribute strings the key looks at. An empty list means the secret never matches this key. */
  attributes(s: FilterableSecret): string[];
  /** Word matching (true) or a prefix match of the whole string (false). */
  words: boolean;
  caseSensitive: boolean;
}

const rules: Record<FilterKey, KeyRule> = {
  name: { attributes: (s) => [s.name], words: false, caseSensitive: true },
  // moto checked this one against AWS: it is word matching, not a prefix match (see the header).
  description: { attributes: (s) => (s.description ? [s.description] : []), words: true, caseSensitive: false },
  "tag-key": { attributes: (s) => s.tags.map((t) => t.Key), words: false, caseSensitive: true },
  "tag-value": { attributes: (s) => s.tags.map((t) => t.Value), words: false, caseSensitive: true },
  // Docs: prefix, case-sensitive. moto: exact equality and no negation (see the header).
  "primary-region": { attributes: (s) => (s.primaryRegion ? [s.primaryRegion] : []), words: false, caseSensitive: true },
  // Docs: prefix, case-sensitive. moto: word matching, case-insensitive (see the header).
  "owning-service": { attributes: (s) => (s.owningService ? [s.owningService] : []), words: false, caseSensitive: true },
  all: {
    attributes: (s) => {
      const out = [s.name];
      if (s.description) out.push(s.description);
      for (const t of s.tags) out.push(t.Key);
      for (const t of s.tags) out.push(t.Value);
      return out;
    },
    words: true,
    caseSensitive: false,
  },
};

/** Separators that split a string into words, in the order moto tries them. */
const SEPARATORS = ["/", "-", "_", "+", "=", ".", "@"] as const;

/**
 * Splits a string into words the way moto found AWS to do it (moto `split_words`):
 * - a string that is exactly one separator has no words;
 * - if the string contains exactly one kind of separator, it is split on it, then each part is split
 *   further where a letter a-z run begins after another character (`MyTestSecret` gives My/Test/Secret,
 *   and `my test` gives my/test);
 * - a string holding two or more different separators (`my/secret+value`) is one word, not split further;
 * - otherwise only the case and space split applies.
 * Case is kept: callers lower-case after splitting, so the case split still sees capitals.
 */
export function splitWords(s: string): string[] {
  if ((SEPARATORS as readonly string[]).includes(s)) return [];
  for (const sep of SEPARATORS) {
    if (!s.includes(sep)) continue;
    if (SEPARATORS.some((other) => other !== sep && s.includes(other))) return [s];
    return s.split(sep).flatMap(splitByCase);
  }
  return splitByCase(s);
}

/** moto `split_by_uppercase`: `re.split(r"([^a-z][a-z]+)", s)`, keeping the captured pieces, dropping empty pieces, then stripping each. */
function splitByCase(s: string): string[] {
  // JS split keeps capture groups as Python's re.split does; the `u` flag makes [^a-z] match whole code points as Python does.
  return s
    .split(/([^a-z][a-z]+)/u)
    .filter((x) => x !== "")
    .map((x) => x.trim());
}

/** One filter value, prepared for matching. */
interface CompiledValue {
  negate: boolean;
  /** Prefix keys: the pattern (lower-cased if the key is case-insensitive). */
  prefix: string;
  /** Word keys: the pattern's words, lower-cased. An empty list never matches. */
  words: string[];
}

function compileValue(raw: string, rule: KeyRule): CompiledValue {
  const negate = raw.startsWith("!");
  const pattern = negate ? raw.slice(1) : raw;
  if (rule.words) return { negate, prefix: "", words: splitWords(pattern).map((w) => w.toLowerCase()) };
  return { negate, prefix: rule.caseSensitive ? pattern : pattern.toLowerCase(), words: [] };
}

/** Whether every pattern word is a prefix of some word of the attribute (moto `_match_pattern`, match_prefix=False). */
function wordsMatch(patternWords: readonly string[], attributeWords: readonly string[]): boolean {
  if (patternWords.length === 0) return false;
  return patternWords.every((p) => attributeWords.some((w) => w.startsWith(p)));
}

function compileFilter(filter: Filter): (s: FilterableSecret) => boolean {
  const rule = rules[filter.Key];
  if (rule === undefined) throw new TypeError(`unknown filter key ${String(filter.Key)}`);
  const values = filter.Values.map((v) => compileValue(v, rule));
  if (rule.words) {
    return (s) => {
      const attrs = rule.attributes(s).map((a) => splitWords(a).map((w) => w.toLowerCase()));
      return values.some((v) => attrs.some((a) => wordsMatch(v.words, a) !== v.negate));
    };
  }
  return (s) => {
    let attrs = rule.attributes(s);
    if (!rule.caseSensitive) attrs = attrs.map((a) => a.toLowerCase());
    return values.some((v) => attrs.some((a) => a.startsWith(v.prefix) !== v.negate));
  };
}

/** Compiles the filters once per request; the returned predicate is called per secret. No filters → every secret matches. */
export function compileFilters(filters: readonly Filter[] | undefined): (s: FilterableSecret) => boolean {
  if (!filters || filters.length === 0) return () => true;
  const compiled = filters.map(compileFilter);
  return (s) => compiled.every((f) => f(s));
}
