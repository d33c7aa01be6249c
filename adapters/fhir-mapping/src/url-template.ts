/**
 * URL templates with `{name}` placeholders, as used for booking deep links and Location
 * URLs. Values are URL-encoded when filled in, so a slot id or an instant with `:` and `+`
 * cannot break the URL.
 */

const PLACEHOLDER = /\{(\w+)\}/g;

/** Fills every `{name}` of `template` with the URL-encoded value; unknown names stay as they are. */
export function fillUrlTemplate(
  template: string,
  values: Readonly<Record<string, string>>,
): string {
  return template.replace(PLACEHOLDER, (whole, name: string) => {
    const value = values[name];
    return value === undefined ? whole : encodeURIComponent(value);
  });
}

/**
 * Why `template` is not a usable URL template with the placeholders `allowed`, or
 * `undefined` when it is: every placeholder must be one of `allowed`, and the filled-in
 * template must be an absolute http(s) URL.
 */
export function urlTemplateProblem(
  template: string,
  allowed: readonly string[],
): string | undefined {
  const unknown = [...template.matchAll(PLACEHOLDER)]
    .map((match) => match[1] ?? '')
    .filter((name) => !allowed.includes(name));
  if (unknown.length > 0) {
    return `unknown placeholder ${unknown.map((name) => `{${name}}`).join(', ')}; allowed: ${allowed.map((name) => `{${name}}`).join(', ')}`;
  }
  const sample = fillUrlTemplate(template, Object.fromEntries(allowed.map((name) => [name, 'x'])));
  try {
    const url = new URL(sample);
    if (url.protocol !== 'https:' && url.protocol !== 'http:') return 'must be an http(s) URL';
  } catch {
    return 'must be an absolute http(s) URL';
  }
  return undefined;
}
