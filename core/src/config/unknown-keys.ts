import type { z } from 'zod';

/** A problem found in config input: where, and what is wrong. */
export interface ConfigIssue {
  path: PropertyKey[];
  message: string;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return false;
  const prototype: unknown = Object.getPrototypeOf(value);
  return prototype === Object.prototype || prototype === null;
}

/** Edit distance between `a` and `b`: insertions, deletions, substitutions, transpositions. */
function editDistance(a: string, b: string): number {
  const rows: number[][] = [Array.from({ length: b.length + 1 }, (_, j) => j)];
  for (let i = 1; i <= a.length; i += 1) {
    const row = [i];
    for (let j = 1; j <= b.length; j += 1) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      const above = rows[i - 1] ?? [];
      let best = Math.min((above[j] ?? 0) + 1, (row[j - 1] ?? 0) + 1, (above[j - 1] ?? 0) + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) {
        best = Math.min(best, (rows[i - 2]?.[j - 2] ?? 0) + 1);
      }
      row.push(best);
    }
    rows.push(row);
  }
  return rows[a.length]?.[b.length] ?? 0;
}

/**
 * The known key `key` was most likely meant to be: the same ignoring case and `-`/`_`, else
 * the nearest within a third of its length (at least 1, at most 3 edits); none otherwise.
 */
export function closestKey(key: string, known: Iterable<string>): string | undefined {
  const normal = (text: string): string => text.toLowerCase().replace(/[-_]/g, '');
  let best: { key: string; distance: number } | undefined;
  for (const candidate of known) {
    if (normal(candidate) === normal(key)) return candidate;
    const distance = editDistance(normal(key), normal(candidate));
    if (best === undefined || distance < best.distance) best = { key: candidate, distance };
  }
  const limit = Math.min(3, Math.max(1, Math.floor(key.length / 3)));
  return best !== undefined && best.distance <= limit ? best.key : undefined;
}

/** `unknown key (did you mean batchSize?)`, or just `unknown key`. */
export function unknownKeyMessage(key: string, known: Iterable<string>): string {
  const suggestion = closestKey(key, known);
  return suggestion === undefined ? 'unknown key' : `unknown key (did you mean ${suggestion}?)`;
}

interface SchemaDef {
  type?: string;
  shape?: Record<string, unknown>;
  innerType?: unknown;
  in?: unknown;
  element?: unknown;
  options?: unknown[];
  catchall?: unknown;
  valueType?: unknown;
}

function defOf(schema: unknown): SchemaDef | undefined {
  return (schema as { _zod?: { def?: SchemaDef } } | undefined)?._zod?.def;
}

/**
 * The keys the object schemas at `path` inside `schema` declare, looking through optional,
 * default, pipe and array wrappers and into every option of a union. Best effort: it only
 * improves suggestions.
 */
function knownKeysAt(schema: unknown, path: readonly PropertyKey[]): string[] {
  const def = defOf(schema);
  if (def === undefined) return [];
  const inner = def.innerType ?? def.in;
  if (inner !== undefined) return knownKeysAt(inner, path);
  if (def.options !== undefined) return def.options.flatMap((option) => knownKeysAt(option, path));
  const [head, ...rest] = path;
  if (head === undefined) return def.shape === undefined ? [] : Object.keys(def.shape);
  if (typeof head === 'number') return knownKeysAt(def.element, rest);
  return def.shape === undefined ? [] : knownKeysAt(def.shape[String(head)], rest);
}

/**
 * The keys the schema at `path` declares when it is a closed object (or a union of them), or
 * `undefined` when it takes any key (a record, `z.looseObject`, `z.unknown()`) or its shape
 * cannot be seen (a transform, a lazy schema).
 */
function declaredKeysAt(schema: unknown, path: readonly PropertyKey[]): string[] | undefined {
  const def = defOf(schema);
  if (def === undefined) return undefined;
  const inner = def.innerType ?? def.in;
  if (inner !== undefined) return declaredKeysAt(inner, path);
  if (def.options !== undefined) {
    const each = def.options.map((option) => declaredKeysAt(option, path));
    return each.some((keys) => keys === undefined) ? undefined : each.flatMap((keys) => keys ?? []);
  }
  const [head, ...rest] = path;
  if (typeof head === 'number') return declaredKeysAt(def.element, rest);
  if (def.type === 'record')
    return head === undefined ? undefined : declaredKeysAt(def.valueType, rest);
  if (def.shape === undefined) return undefined;
  if (head === undefined) {
    const isOpen = def.catchall !== undefined && defOf(def.catchall)?.type !== 'never';
    return isOpen ? undefined : Object.keys(def.shape);
  }
  return declaredKeysAt(def.shape[String(head)], rest);
}

/**
 * Keys of `input` that the schema's closed objects do not declare: used when parsing failed
 * for another reason, so that a misspelt key is reported next to the "required" error of the
 * key it was meant to be.
 */
function undeclaredKeys(schema: unknown, input: unknown, path: PropertyKey[]): ConfigIssue[] {
  if (Array.isArray(input)) {
    return input.flatMap((item, index) => undeclaredKeys(schema, item, [...path, index]));
  }
  if (!isPlainObject(input)) return [];
  const declared = declaredKeysAt(schema, path);
  return Object.keys(input).flatMap((key) =>
    declared === undefined || declared.includes(key)
      ? undeclaredKeys(schema, input[key], [...path, key])
      : [{ path: [...path, key], message: unknownKeyMessage(key, declared) }],
  );
}

/**
 * Keys of `input` that parsing dropped: a non-strict `z.object` strips keys it does not know,
 * so a key present in the input's object but absent from the output's object at the same
 * place was not understood. Defaults only add keys; records and `z.unknown()` keep them all.
 */
function strippedKeys(
  schema: z.ZodType,
  input: unknown,
  output: unknown,
  path: PropertyKey[],
): ConfigIssue[] {
  if (Array.isArray(input) && Array.isArray(output) && input.length === output.length) {
    return input.flatMap((item, index) =>
      strippedKeys(schema, item, output[index], [...path, index]),
    );
  }
  if (!isPlainObject(input) || !isPlainObject(output)) return [];
  return Object.keys(input).flatMap((key) =>
    Object.hasOwn(output, key)
      ? strippedKeys(schema, input[key], output[key], [...path, key])
      : [
          {
            path: [...path, key],
            message: unknownKeyMessage(key, [...Object.keys(output), ...knownKeysAt(schema, path)]),
          },
        ],
  );
}

/** The result of {@link parseRejectingUnknownKeys}. */
export type StrictParseResult<T> =
  { success: true; data: T } | { success: false; issues: ConfigIssue[] };

/**
 * Parses `input` with `schema` and treats every key the schema does not know as an error, at
 * any depth, whether the schema is strict (`z.strictObject`) or strips unknown keys
 * (`z.object`). Each unknown key becomes its own issue whose path ends with the key, with the
 * closest known key suggested: `sync.batchsize: unknown key (did you mean batchSize?)`.
 */
export function parseRejectingUnknownKeys<S extends z.ZodType>(
  schema: S,
  input: unknown,
): StrictParseResult<z.output<S>> {
  // Strict objects report their unknown keys together; note what they knew, by path.
  const knownByPath = new Map<string, string[]>();
  const result = schema.safeParse(input, {
    error: (issue) => {
      if (issue.code === 'unrecognized_keys') {
        knownByPath.set(JSON.stringify(issue.path ?? []), knownKeysAt(issue.inst, []));
      }
      return undefined;
    },
  });
  if (!result.success) {
    const issues = result.error.issues.flatMap((issue): ConfigIssue[] => {
      if (issue.code !== 'unrecognized_keys') return [issue];
      const known = knownByPath.get(JSON.stringify(issue.path)) ?? [];
      return issue.keys.map((key) => ({
        path: [...issue.path, key],
        message: unknownKeyMessage(key, known),
      }));
    });
    // A non-strict object said nothing about its unknown keys: find them from its shape.
    const reported = new Set(issues.map((issue) => JSON.stringify(issue.path)));
    const undeclared = undeclaredKeys(schema, input, []).filter(
      (issue) => !reported.has(JSON.stringify(issue.path)),
    );
    return { success: false, issues: [...issues, ...undeclared] };
  }
  const stripped = strippedKeys(schema, input, result.data, []);
  return stripped.length === 0
    ? { success: true, data: result.data }
    : { success: false, issues: stripped };
}
