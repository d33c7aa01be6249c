import type { Provider } from '@pmsbridge/healthconnect-contract';
import type { FaultPlan } from './fault-plan.js';
import { UnknownProviderError, type ProviderDirectory } from './provider-directory.js';
import { providerNumberOf } from './provider-generator.js';
import { dayNumberOf, parseSlotId, type SlotGenerator } from './slot-generator.js';
import type { WebhookDelivery, WebhookHub } from './webhook-hub.js';

/**
 * Operations that change the sandbox's data, for tests and demos. Each mutation bumps
 * the provider's `updated_at`, appends to the changes feed and fires matching webhooks.
 * The admin HTTP API under `/_sandbox/` offers the same operations.
 */
export interface SandboxAdmin {
  /** Adds a provider; fields left out are generated. Feed: `created`; webhook `provider.created`. */
  createProvider(input?: Partial<Provider>): Provider;
  /** Shallow-patches a provider (not its id). Feed: `updated`; webhook `provider.updated`. */
  updateProvider(id: string, patch: Partial<Provider>): Provider;
  /** Sets status `inactive`. Feed: `deactivated`; webhook `provider.deactivated`. */
  deactivateProvider(id: string): void;
  /** Marks a slot booked. Feed: `updated` of its provider; webhook `schedule.updated` for the slot's date. */
  bookSlot(providerId: string, slotId: string): void;
  /** Marks a slot available again; same feed entry and webhook as {@link SandboxAdmin.bookSlot}. */
  freeSlot(providerId: string, slotId: string): void;
  /** Ids of the providers fault injection serves with invalid records (`invalidRecords`). */
  corruptedProviderIds(): string[];
  /** Recent webhook delivery attempts, oldest first. */
  webhookDeliveries(): WebhookDelivery[];
}

/** Thrown when a slot id does not name a slot of the provider. */
export class UnknownSlotError extends Error {
  readonly code = 'SANDBOX_UNKNOWN_SLOT';
  constructor(providerId: string, slotId: string) {
    super(`Provider ${providerId} has no slot ${slotId}`);
    this.name = 'UnknownSlotError';
  }
}

/** Wires the admin operations to the directory, the slot overrides and the webhooks. */
export function createSandboxAdmin(parts: {
  directory: ProviderDirectory;
  slots: SlotGenerator;
  availability: Map<string, boolean>;
  webhooks: WebhookHub;
  faults: FaultPlan | undefined;
}): SandboxAdmin {
  const { directory, slots, availability, webhooks, faults } = parts;

  const setAvailability = (providerId: string, slotId: string, available: boolean): void => {
    const provider = directory.get(providerId);
    const number = providerNumberOf(providerId);
    if (!provider || number === undefined) throw new UnknownProviderError(providerId);
    const parsed = parseSlotId(slotId);
    const day = parsed ? dayNumberOf(parsed.date) : undefined;
    if (!parsed || day === undefined || parsed.providerDigits !== providerId.slice(3))
      throw new UnknownSlotError(providerId, slotId);
    if (!slots.slots(provider, number, day, day).some((s) => s.slot_id === slotId))
      throw new UnknownSlotError(providerId, slotId);
    availability.set(slotId, available);
    directory.touch(providerId);
    webhooks.emit('schedule.updated', {
      provider_id: providerId,
      start_date: parsed.date,
      end_date: parsed.date,
    });
  };

  return {
    createProvider(input) {
      const provider = directory.create(input);
      webhooks.emit('provider.created', { provider_id: provider.id });
      return provider;
    },
    updateProvider(id, patch) {
      const provider = directory.update(id, patch);
      webhooks.emit('provider.updated', { provider_id: id });
      return provider;
    },
    deactivateProvider(id) {
      directory.deactivate(id);
      webhooks.emit('provider.deactivated', { provider_id: id });
    },
    bookSlot: (providerId, slotId) => setAvailability(providerId, slotId, false),
    freeSlot: (providerId, slotId) => setAvailability(providerId, slotId, true),
    corruptedProviderIds() {
      if (!faults) return [];
      return [...directory.ids()].filter((id) => faults.isCorrupted(id));
    },
    webhookDeliveries: () => webhooks.recentDeliveries(),
  };
}
