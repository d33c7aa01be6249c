import type { Provider } from './provider.js';

/**
 * One change of a source's provider directory. `created` and `updated` carry the provider as
 * it is now; `deactivated` says the provider left (a later `created`/`updated` brings it back).
 */
export type ProviderChange =
  | { type: 'created' | 'updated'; providerId: string; changedAt: string; provider: Provider }
  | { type: 'deactivated'; providerId: string; changedAt: string };
