import { getSearchParameters } from '@medplum/core';
import type {
  CapabilityStatement,
  CapabilityStatementRestResource,
  CapabilityStatementRestResourceSearchParam,
  ResourceType,
} from '@medplum/fhirtypes';

/** The resource types pmsbridge writes, which the CapabilityStatement advertises. */
export const ADVERTISED_RESOURCE_TYPES: readonly ResourceType[] = [
  'Practitioner',
  'PractitionerRole',
  'Location',
  'Schedule',
  'Slot',
  'Organization',
  'Appointment',
];

const RESOURCE_INTERACTIONS = [
  'read',
  'vread',
  'search-type',
  'create',
  'update',
  'delete',
  'patch',
  'history-instance',
] as const;

/** How the server lets clients write, as declared per resource type. */
export interface WriteCapabilities {
  /** A `PUT` may create with a client-assigned id; when false, `updateCreate` is left out. */
  updateCreate: boolean;
  conditionalUpdate: boolean;
}

/**
 * Builds the server's CapabilityStatement (`GET /metadata`). Pure: the caller passes the
 * base URL, the publication date and the write capabilities.
 */
export function buildCapabilityStatement(
  baseUrl: string,
  date: string,
  writes: WriteCapabilities = { updateCreate: true, conditionalUpdate: true },
): CapabilityStatement {
  return {
    resourceType: 'CapabilityStatement',
    status: 'active',
    date,
    kind: 'instance',
    publisher: 'pmsbridge',
    software: { name: '@pmsbridge/test-fhir-server' },
    implementation: { description: 'pmsbridge test FHIR server (in memory)', url: baseUrl },
    fhirVersion: '4.0.1',
    format: ['application/fhir+json', 'json'],
    rest: [
      {
        mode: 'server',
        resource: ADVERTISED_RESOURCE_TYPES.map((type) => describeResource(type, writes)),
        interaction: [{ code: 'transaction' }, { code: 'batch' }, { code: 'search-system' }],
      },
    ],
  };
}

function describeResource(
  type: ResourceType,
  writes: WriteCapabilities,
): CapabilityStatementRestResource {
  return {
    type,
    interaction: RESOURCE_INTERACTIONS.map((code) => ({ code })),
    versioning: 'versioned',
    readHistory: true,
    // Left out rather than false when off: many servers do not declare it at all.
    ...(writes.updateCreate ? { updateCreate: true } : {}),
    conditionalCreate: true,
    conditionalUpdate: writes.conditionalUpdate,
    conditionalDelete: 'single',
    searchParam: describeSearchParams(type),
  };
}

function describeSearchParams(type: ResourceType): CapabilityStatementRestResourceSearchParam[] {
  return Object.entries(getSearchParameters(type) ?? {})
    .map(([name, parameter]) => ({
      name,
      definition: parameter.url,
      type: parameter.type,
    }))
    .sort((a, b) => a.name.localeCompare(b.name));
}
