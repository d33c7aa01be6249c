import { describe, expect, it } from '@jest/globals';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { appendKeptLines, ndjsonLines, readResourceHead, readSlotLine } from './ndjson-lines.js';

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

describe('readResourceHead', () => {
  it('reads the type and id of a line as written, without parsing the rest', () => {
    const line = Buffer.from('x{"resourceType":"Schedule","id":"PRV1-LOC2","actor":[]}y');
    expect(readResourceHead(line, 1, line.length - 1)).toEqual({
      type: 'Schedule',
      id: 'PRV1-LOC2',
    });
    expect(readResourceHead(Buffer.from('{"id":"a","resourceType":"Slot"}'))).toBeUndefined();
  });
});

describe('appendKeptLines', () => {
  async function kept(text: string, keep: (line: string) => boolean): Promise<string> {
    const dir = await mkdtemp(join(tmpdir(), 'pmsbridge-kept-'));
    try {
      await writeFile(join(dir, 'f.ndjson'), text);
      const blocks: Buffer[] = [];
      const bytes = await appendKeptLines(
        join(dir, 'f.ndjson'),
        (data, start, end) => keep(data.toString('utf8', start, end)),
        async (block) => {
          blocks.push(Buffer.from(block)); // the block's buffer is reused once this returns
        },
      );
      const out = Buffer.concat(blocks).toString('utf8');
      expect(bytes).toBe(Buffer.byteLength(out));
      return out;
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }

  it('copies the kept lines with their newlines, drops the others and empty lines', async () => {
    expect(await kept('a1\nb1\na2\n\na3\nb2\n', (line) => line.startsWith('a'))).toBe(
      'a1\na2\na3\n',
    );
    expect(await kept('a1\nb1', () => true)).toBe('a1\nb1\n');
    expect(await kept('', () => true)).toBe('');
  });

  it('keeps lines across reads and lines longer than its buffers', async () => {
    const long = 'a'.repeat((1 << 20) * 2 + 7);
    const many = Array.from({ length: 60_000 }, (_, i) => `${i % 3 === 0 ? 'b' : 'a'}${i}`);
    const text = `${long}\n${many.join('\n')}\nb-last\n${long}x\n`;
    const expected = `${long}\n${many.filter((l) => l.startsWith('a')).join('\n')}\n${long}x\n`;
    expect(await kept(text, (line) => line.startsWith('a'))).toBe(expected);
  });
});
