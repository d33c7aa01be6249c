import { parseResourceKey, type MappedResourceType } from '@pmsbridge/fhir-mapping';
import { providerLocationKey } from '@pmsbridge/fhir-mapping';
import {
  LOCATION_ID_SYSTEM,
  PRACTITIONER_ROLE_ID_SYSTEM,
  PROVIDER_ID_SYSTEM,
  SCHEDULE_ID_SYSTEM,
  SLOT_ID_SYSTEM,
} from '@pmsbridge/fhir-mapping';

/** The identifier that names a resource we write on any server, whatever its id there. */
export interface BusinessIdentity {
  type: MappedResourceType;
  system: string;
  value: string;
}

/** The identifier system that carries each type's business identity. */
export const IDENTITY_SYSTEMS: Readonly<Record<MappedResourceType, string>> = {
  Practitioner: PROVIDER_ID_SYSTEM,
  Location: LOCATION_ID_SYSTEM,
  PractitionerRole: PRACTITIONER_ROLE_ID_SYSTEM,
  Schedule: SCHEDULE_ID_SYSTEM,
  Slot: SLOT_ID_SYSTEM,
};

/**
 * The business identity of the resource stored under `key` (see `resourceKey`): the
 * provider id, the location id, the `<provider>-<location>` key or the slot id, in the
 * identifier system the mappers use for that type.
 */
export function identityOfKey(key: string): BusinessIdentity {
  const { providerId, type, sourceKey } = parseResourceKey(key);
  const value =
    type === 'Practitioner'
      ? providerId
      : type === 'PractitionerRole' || type === 'Schedule'
        ? providerLocationKey(providerId, sourceKey)
        : sourceKey;
  return { type, system: IDENTITY_SYSTEMS[type], value };
}

/** `system|value`, as a token search parameter takes it. */
export function identifierToken(identity: BusinessIdentity): string {
  return `${identity.system}|${identity.value}`;
}

/** One string per identity, for maps. */
export function identityKey(identity: BusinessIdentity): string {
  return `${identity.type} ${identifierToken(identity)}`;
}

/** The conditional-update URL of an identity: `Practitioner?identifier=<system>%7C<value>`. */
export function conditionalUrl(identity: BusinessIdentity): string {
  return `${identity.type}?identifier=${encodeURIComponent(identifierToken(identity))}`;
}
