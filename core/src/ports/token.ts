/**
 * A service identifier that remembers the type bound to it, so that composition code
 * (`container.get(ProviderSourceToken)`) is typed without casts at every call site.
 */
export type Token<T> = symbol & { readonly __service?: T };

/** Creates the service identifier of a port. `Symbol.for` keeps it stable across copies of core. */
export function createToken<T>(name: string): Token<T> {
  return Symbol.for(`pmsbridge.${name}`) as Token<T>;
}
