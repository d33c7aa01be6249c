import { afterAll, describe, expect, it } from '@jest/globals';
import { existsSync } from 'node:fs';
import { readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { runDemo } from '@pmsbridge/example-demo';

const outputDir = join(tmpdir(), `pmsbridge-demo-${process.pid}`);

describe('the demo', () => {
  afterAll(async () => {
    await rm(outputDir, { recursive: true, force: true });
  });

  it('runs a full then an incremental sync into the FHIR server and a bulk publication', async () => {
    let printed = '';
    const stream = new Writable({
      write(chunk: Buffer, _encoding, done) {
        printed += chunk.toString();
        done();
      },
    }) as unknown as NodeJS.WriteStream;
    const result = await runDemo({ outputDir, providers: 40, stream });

    expect(result.full).toMatchObject({ mode: 'full', read: 40, written: 40, deadLettered: 0 });
    expect(result.full.sinks['fhir-server']?.Practitioner?.created).toBe(40);
    // 3 updates, 1 deactivation, 1 creation and 2 bookings (each an update of its provider).
    expect(result.incremental).toMatchObject({ mode: 'incremental', read: 7, deadLettered: 0 });
    expect(result.incremental.sinks['fhir-server']?.Practitioner?.created).toBe(1);
    expect(result.incremental.sinks['fhir-server']?.Slot?.deleted).toBeGreaterThan(0);
    expect(printed).toContain('Incremental sync');

    // The practice-management peer took a staff entry per provider and their free slots,
    // then only the changes: the new provider, the deactivation (and its free slots
    // blocked), the booked slots. The 3 updates change whether a provider accepts new
    // patients, which the staff master file does not carry: no MUP.
    expect(result.hl7.full['MFN^M02 MAD']).toBe(40);
    expect(result.hl7.full['SIU^S24']).toBeGreaterThan(0);
    expect(result.hl7.incremental).toMatchObject({ 'MFN^M02 MAD': 1, 'MFN^M02 MDC': 1 });
    expect(result.hl7.incremental['MFN^M02 MUP']).toBeUndefined();
    expect(result.hl7.incremental['SIU^S23']).toBeGreaterThanOrEqual(2);
    expect(printed).toMatch(/HL7 v2 peer accepted: .*1 MFN\^M02 MDC/);

    // A booking through the API: an Appointment in the FHIR server, the same on a retry.
    expect(result.booking).toMatchObject({ sameOnRetry: true, booking: { status: 'booked' } });
    expect(result.booking.booking.partnerId).toMatch(/^Appointment\//);
    expect(printed).toContain('the same request again answered the same booking');

    const manifest = JSON.parse(
      await readFile(join(outputDir, 'bulk', '$bulk-publish'), 'utf8'),
    ) as {
      output: Array<{ type: string }>;
    };
    // $bulk-publish lists the SMART Scheduling Links 2021 types only (directory resources are opt-in).
    expect(new Set(manifest.output.map((file) => file.type))).toEqual(
      new Set(['Location', 'Schedule', 'Slot']),
    );
    expect(existsSync(join(outputDir, 'state.sqlite'))).toBe(true);
  }, 180_000);
});
