import type { Location, Provider, ProviderChange, ProviderField, Slot } from '@pmsbridge/core';
import type * as wire from '@pmsbridge/healthconnect-contract';
import { z } from 'zod';

/**
 * HealthConnect's top-level provider field for each field of pmsbridge's `Provider`: what the
 * API's `fields` parameter names.
 */
export const WIRE_PROVIDER_FIELD = {
  id: 'id',
  npi: 'npi',
  name: 'name',
  gender: 'gender',
  specialties: 'specialties',
  acceptingNewPatients: 'accepting_new_patients',
  languages: 'languages',
  insuranceAccepted: 'insurance_accepted',
  locations: 'locations',
  phone: 'phone',
  status: 'status',
  updatedAt: 'updated_at',
} as const satisfies Record<ProviderField, keyof wire.Provider>;

const DOMAIN_PROVIDER_FIELD = new Map<string, ProviderField>(
  Object.entries(WIRE_PROVIDER_FIELD).map(([domain, wireName]) => [
    wireName,
    domain as ProviderField,
  ]),
);

const PROVIDER_FIELD_NAMES = [
  ...new Set([...Object.keys(WIRE_PROVIDER_FIELD), ...Object.values(WIRE_PROVIDER_FIELD)]),
] as [string, ...string[]];

/**
 * A provider field as a config names it: pmsbridge's name (`acceptingNewPatients`) or
 * HealthConnect's (`accepting_new_patients`), read as pmsbridge's.
 */
export const ProviderFieldOptionSchema = z
  .enum(PROVIDER_FIELD_NAMES)
  .transform((name): ProviderField => DOMAIN_PROVIDER_FIELD.get(name) ?? (name as ProviderField));

/** The API's `fields` names of `fields`. */
export function wireProviderFields(fields: readonly ProviderField[]): string[] {
  return fields.map((field) => WIRE_PROVIDER_FIELD[field]);
}

/** A HealthConnect location in pmsbridge's terms. */
export function locationFromWire(location: wire.Location): Location {
  const { address } = location;
  return {
    id: location.id,
    name: location.name,
    address: {
      lines: address.line,
      city: address.city,
      state: address.state,
      postalCode: address.postal_code,
      country: address.country,
    },
    timezone: location.timezone,
    ...(location.phone !== undefined && { phone: location.phone }),
    ...(location.position !== undefined && { position: location.position }),
  };
}

/**
 * A HealthConnect provider in pmsbridge's terms. A provider read with `fields` holds only
 * those fields; the result holds the same ones (typed whole: see `requiredProviderFields`).
 */
export function providerFromWire(provider: wire.Provider): Provider {
  const out: Record<string, unknown> = {};
  for (const [domain, wireName] of Object.entries(WIRE_PROVIDER_FIELD)) {
    const value = (provider as Record<string, unknown>)[wireName];
    if (value === undefined) continue;
    out[domain] = domain === 'locations' ? (value as wire.Location[]).map(locationFromWire) : value;
  }
  return out as Provider;
}

/** A HealthConnect slot in pmsbridge's terms. */
export function slotFromWire(slot: wire.Slot): Slot {
  return {
    id: slot.slot_id,
    date: slot.date,
    time: slot.time,
    durationMinutes: slot.duration_minutes,
    available: slot.available,
    locationId: slot.location_id,
    visitType: slot.visit_type,
  };
}

/** A changes-feed entry in pmsbridge's terms. */
export function changeFromWire(change: wire.ProviderChange): ProviderChange {
  if (change.type === 'deactivated') {
    return { type: 'deactivated', providerId: change.provider_id, changedAt: change.changed_at };
  }
  return {
    type: change.type,
    providerId: change.provider_id,
    changedAt: change.changed_at,
    provider: providerFromWire(change.provider),
  };
}
