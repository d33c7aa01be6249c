import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import {
  ChangesPageSchema,
  ProviderChangeSchema,
  type ProviderChange,
} from '@pmsbridge/healthconnect-contract';
import { getWith, tokenFor } from './api-test-client.js';
import { startSandbox, type Sandbox } from './sandbox.js';

describe('GET /providers/changes', () => {
  let sandbox: Sandbox;
  let token: string;
  let clock = new Date('2026-06-01T12:00:00Z');
  beforeAll(async () => {
    sandbox = await startSandbox({ providers: 1200, now: () => clock });
    token = await tokenFor(sandbox);
  });
  afterAll(() => sandbox.close());

  const fetchPage = async (query: string) => {
    const response = await getWith(sandbox, token, `/provider/v2/providers/changes?${query}`);
    expect(response.status).toBe(200);
    const page = ChangesPageSchema.parse(response.body);
    return { ...page, changes: page.changes.map((c) => ProviderChangeSchema.parse(c)) };
  };
  const drain = async (since: string) => {
    const all: ProviderChange[] = [];
    let page = await fetchPage(`since=${encodeURIComponent(since)}`);
    all.push(...page.changes);
    while (page.has_more) {
      page = await fetchPage(`cursor=${page.next_cursor ?? ''}`);
      all.push(...page.changes);
    }
    return { changes: all, until: page.until };
  };

  it('lists every generated provider as created, oldest first, 500 per page', async () => {
    const first = await fetchPage('since=2000-01-01T00:00:00Z');
    expect(first.changes).toHaveLength(500);
    expect(first.has_more).toBe(true);
    expect(first.until).toBe(first.changes.at(-1)?.changed_at);
    const { changes } = await drain('2000-01-01T00:00:00Z');
    expect(changes).toHaveLength(1200);
    expect(changes.every((c) => c.type === 'created')).toBe(true);
    expect(changes.map((c) => c.provider_id)).toEqual(
      Array.from({ length: 1200 }, (_, i) => `PRV${String(i + 1).padStart(10, '0')}`),
    );
  });

  it('serves the same page again for the same cursor (stateless cursors)', async () => {
    const first = await fetchPage('since=2000-01-01T00:00:00Z');
    const a = await fetchPage(`cursor=${first.next_cursor ?? ''}`);
    const b = await fetchPage(`cursor=${first.next_cursor ?? ''}`);
    expect(a).toEqual(b);
    expect(a.changes[0]?.provider_id).toBe('PRV0000000501');
    expect(
      (await getWith(sandbox, token, '/provider/v2/providers/changes?cursor=garbage')).status,
    ).toBe(400);
    expect(
      (await getWith(sandbox, token, '/provider/v2/providers/changes?since=yesterday')).status,
    ).toBe(400);
  });

  it('reports mutations after until, in order, and nothing twice', async () => {
    const { until } = await drain('2000-01-01T00:00:00Z');
    expect(Date.parse(until)).toBeGreaterThanOrEqual(clock.getTime());
    expect((await drain(until)).changes).toEqual([]);

    const created = sandbox.admin.createProvider({
      name: { first: 'New', last: 'Comer', title: 'DO' },
    });
    clock = new Date(clock.getTime() + 5_000);
    sandbox.admin.updateProvider('PRV0000000007', { accepting_new_patients: false });
    sandbox.admin.deactivateProvider('PRV0000000008');
    const next = await drain(until);
    expect(next.changes.map((c) => [c.type, c.provider_id])).toEqual([
      ['created', created.id],
      ['updated', 'PRV0000000007'],
      ['deactivated', 'PRV0000000008'],
    ]);
    const updated = next.changes[1];
    expect(updated?.type === 'updated' && updated.provider.accepting_new_patients).toBe(false);
    expect(created.id).toBe('PRV0000001201');
    const times = next.changes.map((c) => Date.parse(c.changed_at));
    expect(times.every((t) => t > Date.parse(until))).toBe(true);
    expect([...times].sort((a, b) => a - b)).toEqual(times);
    expect((await drain(next.until)).changes).toEqual([]);

    const provider = await getWith(sandbox, token, '/provider/v2/providers/PRV0000000008');
    expect(provider.body).toMatchObject({ status: 'inactive' });
  });

  it('reports a booked slot as an updated change of its provider', async () => {
    const { until } = await drain('2000-01-01T00:00:00Z');
    const schedule = await getWith(
      sandbox,
      token,
      '/provider/v2/providers/PRV0000000003/schedule?start_date=2026-12-07&end_date=2026-12-11',
    );
    const slot = (
      schedule.body as { schedule: Array<{ slot_id: string; available: boolean }> }
    ).schedule.find((s) => s.available);
    if (!slot) throw new Error('expected a free slot');
    sandbox.admin.bookSlot('PRV0000000003', slot.slot_id);
    const next = await drain(until);
    expect(next.changes.map((c) => [c.type, c.provider_id])).toEqual([
      ['updated', 'PRV0000000003'],
    ]);
  });
});
