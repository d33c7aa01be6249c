import { describe, expect, it } from '@jest/globals';
import { ValidationError } from '../errors/errors.js';
import { coalesceChanges, type CoalescedItem } from './change-coalescer.js';
import { makeProvider } from '../testing/index.js';
import type { IncrementalPosition, SourceItem } from './source-reader.js';

const at = (cursor: string, index: number): IncrementalPosition => ({
  mode: 'incremental',
  since: '2026-11-25T10:00:00Z',
  cursor,
  index,
});

const update = (n: number, position: IncrementalPosition, last = `v${position.index}`) => ({
  kind: 'provider' as const,
  provider: makeProvider(n, { name: { first: 'Ada', last } }),
  position,
});

const deactivation = (n: number, position: IncrementalPosition) => ({
  kind: 'deactivation' as const,
  providerId: makeProvider(n).id,
  changedAt: '2026-11-25T11:00:00Z',
  position,
});

async function* from(items: SourceItem[]): AsyncGenerator<SourceItem> {
  yield* items;
}

async function collect(items: SourceItem[], max?: number): Promise<CoalescedItem[]> {
  const out: CoalescedItem[] = [];
  for await (const item of coalesceChanges(from(items), max)) out.push(item);
  return out;
}

const describeItem = (item: CoalescedItem): string =>
  item.kind === 'provider'
    ? `${item.provider.id}:${item.provider.name.last}@${(item.position as IncrementalPosition).index}+${item.superseded}`
    : item.kind === 'deactivation'
      ? `${item.providerId}:off@${(item.position as IncrementalPosition).index}+${item.superseded}`
      : `invalid:${item.invalid.key}`;

describe('coalesceChanges', () => {
  it('keeps the last change of each provider, at the position of that change, in the order of last changes', async () => {
    const out = await collect([
      update(1, at('a', 0)),
      update(2, at('a', 1)),
      update(1, at('a', 2)),
      update(3, at('b', 0)),
      update(1, at('b', 1)),
    ]);
    expect(out.map(describeItem)).toEqual([
      'PRV0000000002:v1@1+0',
      'PRV0000000003:v0@0+0',
      'PRV0000000001:v1@1+2',
    ]);
    expect(out.map((item) => (item.position as IncrementalPosition).cursor)).toEqual([
      'a',
      'b',
      'b',
    ]);
  });

  it('lets a deactivation after updates win, and an update after a deactivation reactivate', async () => {
    const out = await collect([
      update(1, at('a', 0)),
      update(1, at('a', 1)),
      deactivation(1, at('a', 2)),
      deactivation(2, at('a', 3)),
      update(2, at('a', 4), 'back'),
    ]);
    expect(out.map(describeItem)).toEqual(['PRV0000000001:off@2+2', 'PRV0000000002:back@4+1']);
  });

  it('never folds invalid records, which keep their place', async () => {
    const invalid = (key: string, position: IncrementalPosition): SourceItem => ({
      kind: 'invalid',
      invalid: { key, raw: {}, error: new ValidationError('bad') },
      position,
    });
    const out = await collect([
      update(1, at('a', 0)),
      invalid('PRV0000000001', at('b', -1)),
      invalid('PRV0000000001', at('b', -1)),
      update(1, at('b', 0)),
    ]);
    expect(out.map(describeItem)).toEqual([
      'invalid:PRV0000000001',
      'invalid:PRV0000000001',
      'PRV0000000001:v0@0+1',
    ]);
  });

  it('releases what it holds once it holds the maximum number of providers', async () => {
    const seen: string[] = [];
    async function* tracked(): AsyncGenerator<SourceItem> {
      for (let n = 1; n <= 5; n += 1) {
        seen.push(`read ${n}`);
        yield update(n, at('a', n));
      }
    }
    for await (const item of coalesceChanges(tracked(), 2)) seen.push(describeItem(item));
    expect(seen).toEqual([
      'read 1',
      'read 2',
      'PRV0000000001:v1@1+0',
      'PRV0000000002:v2@2+0',
      'read 3',
      'read 4',
      'PRV0000000003:v3@3+0',
      'PRV0000000004:v4@4+0',
      'read 5',
      'PRV0000000005:v5@5+0',
    ]);
  });
});
