import { describe, expect, it } from '@jest/globals';
import type { Location, Slot } from '@medplum/fhirtypes';
import { z } from 'zod';
import { defaultMappingOptions, type MappingOptions } from './mapping-options.js';
import { mappingOptionFields } from './mapping-options-schema.js';
import { mapProviderRecord } from './provider-mapper.js';
import { BOOKING_DEEP_LINK_URL, BOOKING_PHONE_URL } from './terminology.js';
import { r4Errors } from './testing/fhir-validation.js';
import { buildRecord } from './testing/population.js';

/** The mapping options as a sink's options schema holds them. */
const sinkOptions = (actor: 'practitioner-role' | 'location') =>
  z.object(mappingOptionFields(actor)).strict();

function mapped<T>(type: string, options: MappingOptions, n = 4): T[] {
  return mapProviderRecord(buildRecord(n), options)
    .resources.filter((r) => r.type === type)
    .map((r) => r.resource as T);
}

const extension = (slot: Slot | undefined, url: string) =>
  slot?.extension?.find((e) => e.url === url);

describe('booking from the publication', () => {
  it('offers the location phone as booking phone on every Slot by default', () => {
    const record = buildRecord(4);
    const phones = new Map((record.provider.locations ?? []).map((l) => [l.id, l.phone]));
    const slots = mapped<Slot>('Slot', defaultMappingOptions);
    expect(slots.length).toBeGreaterThan(0);
    for (const slot of slots) {
      const locationId = record.slots.find((s) => slot.identifier?.[0]?.value === s.id)?.locationId;
      expect(extension(slot, BOOKING_PHONE_URL)).toEqual({
        url: BOOKING_PHONE_URL,
        valueString: phones.get(locationId ?? ''),
      });
    }
  });

  it('defaults bookingPhone to the location phone whatever the schedule actor', () => {
    for (const actor of ['practitioner-role', 'location'] as const) {
      const options = sinkOptions(actor).parse({});
      expect(options.bookingPhone).toBe('location');
      expect(options.scheduleActor).toBe(actor);
    }
  });

  it('adds no booking phone when asked for none', () => {
    for (const slot of mapped<Slot>('Slot', { ...defaultMappingOptions, bookingPhone: 'none' })) {
      expect(slot.extension).toBeUndefined();
    }
  });

  it('fills the booking link template with URL-encoded slot, provider, location and start', () => {
    const record = buildRecord(4);
    const [first] = record.slots;
    const options: MappingOptions = {
      scheduleActor: 'location',
      bookingLink:
        'https://book.example/s/{slotId}?provider={providerId}&location={locationId}&at={start}',
    };
    const slot = mapped<Slot>('Slot', options).find((s) => s.identifier?.[0]?.value === first?.id);
    const start = slot?.start ?? '';
    expect(start).toMatch(/^2026-12-01T\d\d:\d\d:00[-+]\d\d:\d\d$/);
    expect(extension(slot, BOOKING_DEEP_LINK_URL)).toEqual({
      url: BOOKING_DEEP_LINK_URL,
      valueUrl: `https://book.example/s/${first?.id}?provider=PRV0000000004&location=${first?.locationId}&at=${encodeURIComponent(start)}`,
    });
    const url = new URL(extension(slot, BOOKING_DEEP_LINK_URL)?.valueUrl ?? '');
    expect(url.searchParams.get('at')).toBe(start);
  });

  it('gives each Location its web page as a telecom url next to its phone', () => {
    const options = {
      ...defaultMappingOptions,
      locationUrl: 'https://clinics.example/{locationId}',
    };
    const [location] = mapped<Location>('Location', options);
    expect(location?.telecom).toEqual([
      { system: 'phone', value: expect.any(String), use: 'work' },
      { system: 'url', value: `https://clinics.example/${location?.id ?? ''}`, use: 'work' },
    ]);
    expect(r4Errors(location as Location)).toEqual([]);
  });

  it.each([
    ['an unknown placeholder', 'https://book.example/{slot}', /unknown placeholder \{slot\}/],
    ['a relative URL', '/book/{slotId}', /absolute http\(s\) URL/],
    ['a non-http URL', 'mailto:book@example.org?subject={slotId}', /http\(s\) URL/],
  ])('rejects a booking link template with %s', (_, bookingLink, message) => {
    const result = sinkOptions('practitioner-role').safeParse({ bookingLink });
    expect(result.success).toBe(false);
    expect(result.error?.issues[0]?.path).toEqual(['bookingLink']);
    expect(result.error?.issues[0]?.message).toMatch(message);
  });

  it('rejects a Location URL template with a slot placeholder', () => {
    const result = sinkOptions('location').safeParse({
      locationUrl: 'https://clinics.example/{slotId}',
    });
    expect(result.error?.issues[0]?.path).toEqual(['locationUrl']);
  });
});
