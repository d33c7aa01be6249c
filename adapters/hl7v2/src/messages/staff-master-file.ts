import type { Provider } from '@pmsbridge/core';
import { ValidationError } from '@pmsbridge/core';
import { assembleMessage, type OutboundMessage } from '../codec/outbound-message.js';
import { repeat, segment, type Hl7Segment } from '../codec/segment.js';
import { rfc3339ToHl7 } from '../codec/timestamp.js';
import type { MessageContext } from './message-options.js';
import { npiIdentifier, officeAddress, personName, workPhone } from './provider-fields.js';

/** Record-level events of the staff master file (table 0180) that pmsbridge sends. */
export type StaffEvent = 'MAD' | 'MUP' | 'MDC' | 'MAC';

/**
 * One provider's entry in the staff master file. The caller says which event applies: `MAD`
 * added, `MUP` updated, `MAC` reactivated, `MDC` deactivated. A deactivation may carry only the
 * provider id, as a deactivation record does.
 */
export type StaffEntry =
  | { readonly event: StaffEvent; readonly provider: Provider }
  | { readonly event: 'MDC'; readonly providerId: string; readonly changedAt: string };

const MFN_M02 = { code: 'MFN', trigger: 'M02', structure: 'MFN_M02' };

/**
 * `MFN^M02`, the staff/practitioner master file: MFI (file `STF` or `PRA`, event `UPD`), then
 * per entry MFE, STF (key, NPI, name, active flag, phone, address of the first location) and
 * PRA (specialties). The key is the provider id — the entries' ids joined when there are
 * several — and each entry's `updatedAt` (or `changedAt`) is part of the revision, so a
 * provider changed back to an earlier state is sent under a new control id.
 */
export function buildStaffMasterFile(
  entries: readonly StaffEntry[],
  context: MessageContext,
): OutboundMessage {
  if (entries.length === 0) {
    throw new ValidationError('A staff master file message needs at least one entry');
  }
  const { options } = context;
  const body: Hl7Segment[] = [
    segment('MFI', {
      1: [options.masterFile],
      3: 'UPD',
      6: options.masterFileResponseLevel,
    }),
    ...entries.flatMap((entry) => entrySegments(entry, context)),
  ];
  return assembleMessage(
    {
      type: MFN_M02,
      body,
      key: entries.map(providerIdOf).join(','),
      revision: entries.map(changedAtOf).join(','),
    },
    context,
  );
}

function entrySegments(entry: StaffEntry, { options }: MessageContext): Hl7Segment[] {
  const key = providerIdOf(entry);
  const mfe = segment('MFE', {
    1: entry.event,
    3: rfc3339ToHl7(changedAtOf(entry)),
    4: [key],
    // MFE-5 names MFE-4's data type: CWE from 2.5, CE before (table 0355).
    5: options.version === '2.3.1' ? 'CE' : 'CWE',
  });
  if (!('provider' in entry)) {
    return [mfe, segment('STF', { 1: [key], 7: 'I' })];
  }
  const { provider } = entry;
  const firstLocation = provider.locations?.[0];
  const phone = provider.phone ?? firstLocation?.phone;
  const isActive = entry.event === 'MDC' ? false : provider.status === 'active';
  return [
    mfe,
    segment('STF', {
      1: [key],
      2: npiIdentifier(provider.npi),
      3: personName(provider.name, options.version),
      7: isActive ? 'A' : 'I',
      10: phone === undefined ? undefined : workPhone(phone),
      11: firstLocation === undefined ? undefined : officeAddress(firstLocation.address),
    }),
    segment('PRA', {
      1: [key],
      5: repeat(...provider.specialties.map((name) => [name])),
    }),
  ];
}

function providerIdOf(entry: StaffEntry): string {
  return 'provider' in entry ? entry.provider.id : entry.providerId;
}

function changedAtOf(entry: StaffEntry): string {
  return 'provider' in entry ? entry.provider.updatedAt : entry.changedAt;
}
