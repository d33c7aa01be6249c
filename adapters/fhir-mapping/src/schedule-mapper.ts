import type { Location as HcLocation, Provider, ScheduleWindow } from '@pmsbridge/core';
import type { Location, Reference, Schedule } from '@medplum/fhirtypes';
import type { MappingOptions } from './mapping-options.js';
import { specialtyConcept } from './practitioner-role-mapper.js';
import { locationId, providerLocationKey } from './resource-ids.js';
import { SCHEDULE_ID_SYSTEM, SERVICE_TYPE_SYSTEM } from './terminology.js';
import { formatInstant, zonedEpochMs } from '@pmsbridge/core';

const DAY_MS = 24 * 60 * 60 * 1000;

/**
 * Maps one provider at one location to a Schedule: actors per
 * {@link MappingOptions.scheduleActor}, service type and specialties, and the synced
 * window as `planningHorizon` (local midnight of the first day to local midnight after
 * the last day, in the location's zone).
 */
export function mapSchedule(
  provider: Provider,
  location: HcLocation,
  window: ScheduleWindow,
  options: Pick<MappingOptions, 'scheduleActor'>,
  deactivated = false,
): Schedule {
  const key = providerLocationKey(provider.id, location.id);
  const locationRef: Reference<Location> = {
    reference: `Location/${locationId(location.id)}`,
    display: location.name,
  };
  const actor: Schedule['actor'] =
    options.scheduleActor === 'location'
      ? [locationRef]
      : [{ reference: `PractitionerRole/${key}` }, locationRef];
  const end = zonedEpochMs(window.endDate, '00:00', location.timezone) + DAY_MS;
  const schedule: Schedule = {
    resourceType: 'Schedule',
    id: key,
    identifier: [{ system: SCHEDULE_ID_SYSTEM, value: key }],
    active: !deactivated && provider.status === 'active',
    serviceType: [
      {
        coding: [{ system: SERVICE_TYPE_SYSTEM, code: '124', display: 'General Practice' }],
        text: 'Outpatient visit',
      },
    ],
    actor,
    planningHorizon: {
      start: formatInstant(
        zonedEpochMs(window.startDate, '00:00', location.timezone),
        location.timezone,
      ),
      // Midnight after the last day; DST changes never fall at midnight in US zones.
      end: formatInstant(
        zonedEpochMs(new Date(end).toISOString().slice(0, 10), '00:00', location.timezone),
        location.timezone,
      ),
    },
  };
  if (provider.specialties.length > 0)
    schedule.specialty = provider.specialties.map(specialtyConcept);
  return schedule;
}
