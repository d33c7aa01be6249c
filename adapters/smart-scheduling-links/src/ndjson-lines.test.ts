import { describe, expect, it } from '@jest/globals';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ndjsonLines, readSlotLine } from './ndjson-lines.js';

describe('ndjsonLines', () => {
  it('yields every line, including one across a chunk boundary and a last line without newline', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'pmsbridge-ndjson-'));
    try {
      const long = 'x'.repeat((1 << 20) + 5);
      await writeFile(join(dir, 'f.ndjson'), `a\n${long}\nb`);
      const lines: string[] = [];
      for await (const line of ndjsonLines(join(dir, 'f.ndjson'))) lines.push(line.toString());
      expect(lines).toEqual(['a', long, 'b']);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('readSlotLine', () => {
  const slot = {
    resourceType: 'Slot',
    id: 'SLT1',
    identifier: [{ system: 'https://healthconnect.io/fhir/sid/slot-id', value: 'SLT1' }],
    schedule: { reference: 'https://pub.example/Schedule/PRV0000000042-LOC0000000007' },
    status: 'free',
    start: '2026-11-01T01:30:00-04:00',
    end: '2026-11-01T01:45:00-05:00',
  };

  it('reads the provider and the end of a Slot line as written', () => {
    const read = readSlotLine(Buffer.from(JSON.stringify(slot)));
    expect(read?.owner).toBe('PRV0000000042');
    expect(read?.endDate).toBe('2026-11-01');
    expect(read?.endMs()).toBe(Date.parse('2026-11-01T06:45:00Z'));
  });

  it('leaves other lines to a full parse', () => {
    expect(readSlotLine(Buffer.from('{"resourceType":"Schedule","id":"S"}'))).toBeUndefined();
    expect(readSlotLine(Buffer.from('{"resourceType":"Slot","id":"x"}'))).toBeUndefined();
  });
});
