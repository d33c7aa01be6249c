import type { ServiceIdentifier } from 'inversify';

/**
 * A service identifier that carries the type bound to it, so that the composition root's
 * `container.bind(LoggerToken)` and `@inject(LoggerToken)` are typed without casts.
 */
export type Token<T> = ServiceIdentifier<T>;

/** Creates the service identifier of a port. `Symbol.for` keeps it stable across copies of core. */
export function createToken<T>(name: string): Token<T> {
  return Symbol.for(`pmsbridge.${name}`) as Token<T>;
}
