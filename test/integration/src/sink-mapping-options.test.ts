import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  MemoryStateStore,
  type LogFields,
  type Logger,
  type Sink,
  type SyncRecord,
} from '@pmsbridge/core';
import { createPlugin } from '@pmsbridge/core/testing';
import { startFhirServer, type FhirServer } from '@pmsbridge/test-fhir-server';
import type { Bundle, Location, Slot } from '@medplum/fhirtypes';
import fhirPlugin from '@pmsbridge/adapter-fhir';
import publicationPlugin from '@pmsbridge/adapter-smart-scheduling-links';
import { readPublication, resourcesOf } from '@pmsbridge/adapter-smart-scheduling-links/testing';
import { BOOKING_DEEP_LINK_URL, BOOKING_PHONE_URL } from '@pmsbridge/fhir-mapping';
import { buildRecord } from '@pmsbridge/fhir-mapping/testing';

/** Booking options flow from sink config through the plugin into what both sinks write. */

const signal = new AbortController().signal;
const booking = {
  bookingLink: 'https://book.example/s/{slotId}?at={start}',
  locationUrl: 'https://clinics.example/{locationId}',
};

interface Line {
  level: string;
  message: string;
  fields?: LogFields;
}

function recordingLogger(lines: Line[]): Logger {
  const at =
    (level: string) =>
    (message: string, fields?: LogFields): void => {
      lines.push({ level, message, ...(fields === undefined ? {} : { fields }) });
    };
  const logger: Logger = {
    debug: at('debug'),
    info: at('info'),
    warn: at('warn'),
    error: at('error'),
    child: () => logger,
  };
  return logger;
}

function sinkFrom(
  plugin: typeof fhirPlugin | typeof publicationPlugin,
  raw: unknown,
  lines: Line[],
): Promise<Sink> {
  return createPlugin(plugin, {
    options: raw,
    services: {
      logger: recordingLogger(lines),
      clock: { now: () => new Date('2026-11-30T12:00:00Z') },
      state: new MemoryStateStore(),
    },
    name: 'fhir',
    baseDir: '/srv/pmsbridge',
  });
}

/** Providers 1–3, the first with a specialty that has no NUCC code. */
function records(): SyncRecord[] {
  const all = [1, 2, 3].map((n) => buildRecord(n, '2026-12-01', 2, 1));
  const [first, second] = all;
  if (first) first.provider.specialties = ['sleep_medicine', 'cardiology'];
  if (second) second.provider.specialties = ['sleep_medicine'];
  return all;
}

async function run(sink: Sink, batch: SyncRecord[]): Promise<void> {
  await sink.open?.({ dryRun: false, mode: 'full', signal });
  const outcomes = await sink.write(batch, signal);
  expect(outcomes.every((o) => o.ok)).toBe(true);
  await sink.close?.({ completed: true });
}

function expectBookable(resources: readonly (Slot | Location)[]): void {
  const slots = resources.filter((r): r is Slot => r.resourceType === 'Slot');
  const locations = resources.filter((r): r is Location => r.resourceType === 'Location');
  expect(slots.length).toBeGreaterThan(0);
  for (const slot of slots) {
    const link = slot.extension?.find((e) => e.url === BOOKING_DEEP_LINK_URL)?.valueUrl ?? '';
    expect(new URL(link).searchParams.get('at')).toBe(slot.start);
    expect(slot.extension?.find((e) => e.url === BOOKING_PHONE_URL)?.valueString).toMatch(
      /^\+1-555-010-\d{4}$/,
    );
  }
  expect(locations.length).toBeGreaterThan(0);
  for (const location of locations) {
    expect(location.telecom?.find((t) => t.system === 'url')?.value).toBe(
      `https://clinics.example/${location.id ?? ''}`,
    );
  }
}

function unmappedWarnings(lines: readonly Line[]): Line[] {
  return lines.filter((l) => l.level === 'warn' && l.fields?.['specialty'] !== undefined);
}

/** The one line a sink logs when its run closes: providers per unmapped specialty. */
function runCounts(lines: readonly Line[]): Line[] {
  return lines.filter((l) => l.fields?.['specialties'] !== undefined);
}

const SLEEP_MEDICINE_TWICE: Line = {
  level: 'warn',
  message: 'specialties mapped as text only in this run',
  fields: { specialties: { sleep_medicine: 2 } },
};

describe('mapping options in the sinks', () => {
  let dir: string;
  let server: FhirServer;
  beforeAll(async () => {
    server = await startFhirServer({ port: 0 });
  });
  afterAll(async () => {
    await server.close();
  });
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'pmsbridge-booking-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('a bulk publication carries booking links, booking phones and Location URLs', async () => {
    const lines: Line[] = [];
    const sink = await sinkFrom(
      publicationPlugin,
      { outputDir: dir, baseUrl: 'https://pub.example', ...booking },
      lines,
    );
    await run(sink, records());
    const { files } = await readPublication(dir);
    expectBookable(resourcesOf(files) as (Slot | Location)[]);
    expect(unmappedWarnings(lines)).toEqual([
      {
        level: 'warn',
        message: 'specialty has no NUCC code; mapped as text only',
        fields: { specialty: 'sleep_medicine' },
      },
    ]);
    expect(runCounts(lines)).toEqual([SLEEP_MEDICINE_TWICE]);
  });

  it('a FHIR server receives booking links, booking phones and Location URLs', async () => {
    const lines: Line[] = [];
    const sink = await sinkFrom(fhirPlugin, { baseUrl: server.baseUrl, ...booking }, lines);
    await run(sink, records());
    const read = async (type: string) => {
      const response = await fetch(`${server.baseUrl}/${type}?_count=500`);
      const bundle = (await response.json()) as Bundle<Slot | Location>;
      return (bundle.entry ?? []).flatMap((e) => (e.resource ? [e.resource] : []));
    };
    expectBookable([...(await read('Slot')), ...(await read('Location'))]);
    expect(unmappedWarnings(lines)).toHaveLength(1);
    expect(runCounts(lines)).toEqual([SLEEP_MEDICINE_TWICE]);
  });
});
