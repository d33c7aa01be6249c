import {
  ValidationError,
  type ProviderField,
  type Location as HcLocation,
  type ProviderRecord,
} from '@pmsbridge/core';
import type { Location, Practitioner, PractitionerRole, Schedule, Slot } from '@medplum/fhirtypes';
import { mapLocation } from './location-mapper.js';
import type { MappingOptions } from './mapping-options.js';
import { mapPractitioner } from './practitioner-mapper.js';
import { mapPractitionerRole } from './practitioner-role-mapper.js';
import { mapSchedule } from './schedule-mapper.js';
import { mapSlot } from './slot-mapper.js';
import { hasNuccCode } from './terminology.js';

/** The resource types this package writes, in dependency order (referenced first). */
export const RESOURCE_TYPES = [
  'Location',
  'Practitioner',
  'PractitionerRole',
  'Schedule',
  'Slot',
] as const;

/**
 * The top-level provider fields the mappers read: a source that leaves one out would publish
 * resources with it silently missing. Sinks built on this package declare them as their
 * `requiredProviderFields`.
 */
export const MAPPED_PROVIDER_FIELDS = [
  'id',
  'npi',
  'name',
  'gender',
  'specialties',
  'acceptingNewPatients',
  'languages',
  'locations',
  'phone',
  'status',
] as const satisfies readonly ProviderField[];

/** One of {@link RESOURCE_TYPES}. */
export type MappedResourceType = (typeof RESOURCE_TYPES)[number];

/** A mapped resource with its output key. */
export interface MappedResource<
  R extends Location | Practitioner | PractitionerRole | Schedule | Slot =
    Location | Practitioner | PractitionerRole | Schedule | Slot,
> {
  /**
   * `<provider id>/<type>/<source key>`: the provider owns it, the source key is the
   * HealthConnect id it came from (provider, location or slot id). Content hashes and
   * withdrawals are tracked by this key.
   */
  key: string;
  type: MappedResourceType;
  resource: R;
}

/** Everything one provider record maps to, in dependency order. */
export interface MappedProvider {
  providerId: string;
  /** Every resource, referenced ones first. */
  resources: MappedResource[];
}

/**
 * The key of a resource owned by `providerId`, e.g. `PRV0000000001/Slot/SLT123`: both ids
 * URI-encoded, so opaque ids holding `/` keep keys apart and the owner is the first segment.
 */
export function resourceKey(
  providerId: string,
  type: MappedResourceType,
  sourceKey: string,
): string {
  return `${ownerKey(providerId)}/${type}/${encodeURIComponent(sourceKey)}`;
}

/** The first segment of every key {@link resourceKey} makes for `providerId`. */
export function ownerKey(providerId: string): string {
  return encodeURIComponent(providerId);
}

/** Splits a key made by {@link resourceKey}. */
export function parseResourceKey(key: string): {
  providerId: string;
  type: MappedResourceType;
  sourceKey: string;
} {
  const [providerId = '', type = '', sourceKey = ''] = key.split('/');
  if (!(RESOURCE_TYPES as readonly string[]).includes(type)) {
    throw new ValidationError(`Not a resource key: "${key}"`);
  }
  return {
    providerId: decodeURIComponent(providerId),
    type: type as MappedResourceType,
    sourceKey: decodeURIComponent(sourceKey),
  };
}

function reportUnmappedSpecialties(specialties: readonly string[], options: MappingOptions): void {
  const reporter = options.unmappedSpecialties;
  if (reporter === undefined) return;
  for (const slug of new Set(specialties)) if (!hasNuccCode(slug)) reporter.report(slug);
}

/**
 * Maps a provider record to FHIR resources: its Practitioner, each Location with the
 * provider's PractitionerRole and Schedule there, and every Slot of the window. An
 * inactive provider maps to inactive Practitioner/PractitionerRole/Schedule and no Slots
 * (its future slots are withdrawn). A slot at a location the provider does not list is a
 * {@link ValidationError}: its time zone is unknown. Specialties without a NUCC code are
 * told to {@link MappingOptions.unmappedSpecialties}, once per record.
 */
export function mapProviderRecord(record: ProviderRecord, options: MappingOptions): MappedProvider {
  const { provider, window, slots } = record;
  reportUnmappedSpecialties(provider.specialties, options);
  const inactive = provider.status !== 'active';
  const locations = new Map<string, HcLocation>((provider.locations ?? []).map((l) => [l.id, l]));
  const out: MappedResource[] = [];
  const add = <R extends MappedResource['resource']>(
    type: MappedResourceType,
    sourceKey: string,
    resource: R,
  ) => out.push({ key: resourceKey(provider.id, type, sourceKey), type, resource });

  for (const location of locations.values())
    add('Location', location.id, mapLocation(location, options));
  add('Practitioner', provider.id, mapPractitioner(provider));
  for (const location of locations.values()) {
    add('PractitionerRole', location.id, mapPractitionerRole(provider, location));
    add('Schedule', location.id, mapSchedule(provider, location, window, options));
  }
  if (!inactive) {
    for (const slot of slots) {
      const location = locations.get(slot.locationId);
      if (location === undefined) {
        throw new ValidationError(
          `Slot ${slot.id} of provider ${provider.id} is at location ${slot.locationId}, which the provider does not list`,
          { providerId: provider.id, slotId: slot.id, locationId: slot.locationId },
          'PMS_RECORD_UNMAPPABLE',
        );
      }
      add('Slot', slot.id, mapSlot(slot, provider.id, location, options));
    }
  }
  return { providerId: provider.id, resources: out };
}
