import type { Location, PostalAddress, Provider } from '@pmsbridge/core';
import type { Hl7Version } from '../codec/codec-options.js';
import type { Hl7Component } from '../codec/segment.js';

/** The NPI's assigning authority: namespace `NPI`, the CMS OID, type ISO (HD as subcomponents). */
export const NPI_ASSIGNING_AUTHORITY: readonly string[] = ['NPI', '2.16.840.1.113883.4.6', 'ISO'];

/** Identifier type code (table 0203) of an NPI. */
export const NPI_IDENTIFIER_TYPE = 'NPI';

/** Name type code (table 0200) of a legal name. */
const LEGAL_NAME = 'L';

/**
 * Places a component at its HL7 number (1-based) in a component list, leaving the ones before
 * it empty.
 */
export function componentsAt(entries: Readonly<Record<number, Hl7Component>>): Hl7Component[] {
  const numbers = Object.keys(entries).map(Number);
  const components: Hl7Component[] = Array.from({ length: Math.max(0, ...numbers) }, () => '');
  for (const n of numbers) components[n - 1] = entries[n] ?? '';
  return components;
}

/** CX: the provider's NPI with its assigning authority, `1234567893^^^NPI&2.16.840.1.113883.4.6&ISO^NPI`. */
export function npiIdentifier(npi: string): Hl7Component[] {
  return componentsAt({ 1: npi, 4: NPI_ASSIGNING_AUTHORITY, 5: NPI_IDENTIFIER_TYPE });
}

/**
 * XPN: family^given^…, name type `L`. The title (`MD`) is the degree (XPN-6) in 2.3.1 and the
 * professional suffix (XPN-14) from 2.5, where XPN-6 is deprecated.
 */
export function personName(name: Provider['name'], version: Hl7Version): Hl7Component[] {
  const title = name.title ?? '';
  return componentsAt({
    1: name.last,
    2: name.first,
    ...(version === '2.3.1' ? { 6: title } : { 14: title }),
    7: LEGAL_NAME,
  });
}

/**
 * XCN: the provider as a person with an id — NPI, name, assigning authority, name type and
 * identifier type. The title is XCN-7 (degree) in 2.3.1 and XCN-21 (professional suffix) from 2.5.
 */
export function practitioner(
  provider: Pick<Provider, 'npi' | 'name'>,
  version: Hl7Version,
): Hl7Component[] {
  const title = provider.name.title ?? '';
  return componentsAt({
    1: provider.npi,
    2: provider.name.last,
    3: provider.name.first,
    ...(version === '2.3.1' ? { 7: title } : { 21: title }),
    9: NPI_ASSIGNING_AUTHORITY,
    10: LEGAL_NAME,
    13: NPI_IDENTIFIER_TYPE,
  });
}

/** XAD: first street line, the others joined, city, state, postal code, country, type office (`O`). */
export function officeAddress(address: PostalAddress): Hl7Component[] {
  const [street = '', ...others] = address.lines;
  return componentsAt({
    1: street,
    2: others.join(', '),
    3: address.city,
    4: address.state,
    5: address.postalCode,
    6: address.country,
    7: 'O',
  });
}

/** XTN: a work phone number (`WPN`, equipment `PH`) as the source formats it. */
export function workPhone(phone: string): Hl7Component[] {
  return componentsAt({ 1: phone, 2: 'WPN', 3: 'PH' });
}

/**
 * PL: a location as the point of care (its id), with its name as the description (PL-9).
 */
export function pointOfCare(location: Location): Hl7Component[] {
  return componentsAt({ 1: location.id, 9: location.name });
}
