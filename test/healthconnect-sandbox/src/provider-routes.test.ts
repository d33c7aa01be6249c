import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import {
  ProviderPageSchema,
  ProviderSchema,
  ScheduleSchema,
  SlotSchema,
  type Provider,
} from '@pmsbridge/healthconnect-contract';
import { call, getWith, tokenFor } from './api-test-client.js';
import { startSandbox, type Sandbox } from './sandbox.js';

describe('provider and schedule routes', () => {
  let sandbox: Sandbox;
  let token: string;
  beforeAll(async () => {
    sandbox = await startSandbox({ providers: 1000, seed: 42 });
    token = await tokenFor(sandbox);
  });
  afterAll(() => sandbox.close());
  const get = (path: string) => getWith(sandbox, token, `/provider/v2${path}`);
  const page = async (path: string) => {
    const response = await get(path);
    expect(response.status).toBe(200);
    const body = ProviderPageSchema.parse(response.body);
    return { ...body, providers: body.providers.map((p) => ProviderSchema.parse(p)) };
  };

  it("finds Dr. Test Smith with the guide's search (accepting_new_patients=True)", async () => {
    const result = await page(
      '/providers?specialty=cardiology&location=New%20York%2C%20NY&accepting_new_patients=True',
    );
    expect(result.providers[0]?.id).toBe('PRV0000000001');
    for (const p of result.providers) {
      expect(p.specialties).toContain('cardiology');
      expect(p.accepting_new_patients).toBe(true);
      expect(
        p.locations?.some((l) => l.address.city === 'New York' && l.address.state === 'NY'),
      ).toBe(true);
    }
  });

  it('accepts true/false/True/False/1/0 and rejects anything else', async () => {
    const totals = new Map<string, number>();
    for (const value of ['true', 'True', '1', 'false', 'False', '0'])
      totals.set(value, (await page(`/providers?accepting_new_patients=${value}`)).total);
    expect(totals.get('True')).toBe(totals.get('true'));
    expect(totals.get('1')).toBe(totals.get('true'));
    expect(totals.get('0')).toBe(totals.get('false'));
    expect((totals.get('true') ?? 0) + (totals.get('false') ?? 0)).toBe(1000);
    expect((await get('/providers?accepting_new_patients=yes')).status).toBe(400);
  });

  it('filters by insurance, case-insensitive name substring and npi', async () => {
    const insured = await page('/providers?insurance=medicare&per_page=100');
    expect(insured.total).toBeGreaterThan(0);
    expect(insured.providers.every((p) => p.insurance_accepted?.includes('medicare'))).toBe(true);
    const named = await page('/providers?name=SMI&per_page=100');
    expect(named.total).toBeGreaterThan(0);
    expect(
      named.providers.every((p) => `${p.name.first}|${p.name.last}`.toLowerCase().includes('smi')),
    ).toBe(true);
    const byNpi = await page('/providers?npi=1234567893');
    expect(byNpi.providers.map((p) => p.id)).toEqual(['PRV0000000001']);
    expect((await page('/providers?specialty=astrology')).total).toBe(0);
  });

  it('pages through everyone in id order without gaps or repeats', async () => {
    const ids: string[] = [];
    let hasNext = true;
    for (let n = 1; hasNext; n++) {
      const result = await page(`/providers?page=${n}&per_page=100&unknown_param=1`);
      ids.push(...result.providers.map((p) => p.id));
      hasNext = result.has_next_page;
      expect(result.total).toBe(1000);
    }
    expect(ids).toEqual(
      Array.from({ length: 1000 }, (_, i) => `PRV${String(i + 1).padStart(10, '0')}`),
    );
  });

  it('rejects per_page and page outside their ranges with 400', async () => {
    for (const query of ['per_page=0', 'per_page=101', 'page=0', 'page=x', 'per_page=2.5']) {
      const response = await get(`/providers?${query}`);
      expect(response.status).toBe(400);
      expect(response.body).toMatchObject({ error: { code: 'bad_request' } });
    }
  });

  it('returns only the requested fields, always with id', async () => {
    const response = await get('/providers?fields=name,specialties&per_page=3');
    const providers = (response.body as { providers: Array<Record<string, unknown>> }).providers;
    expect(providers).toHaveLength(3);
    for (const p of providers) expect(Object.keys(p).sort()).toEqual(['id', 'name', 'specialties']);
    const one = await get('/providers/PRV0000000002?fields=npi');
    expect(one.body).toEqual({ id: 'PRV0000000002', npi: '1245319599' });
  });

  it('serves one provider, its locations, and 404 for unknown ids', async () => {
    const one = await get('/providers/PRV0000000001');
    expect(ProviderSchema.parse(one.body).name.last).toBe('Smith');
    const locations = await get('/providers/PRV0000000001/locations');
    expect((locations.body as { locations: Provider['locations'] }).locations?.[0]?.id).toBe(
      'LOC0000000001',
    );
    for (const path of ['/providers/PRV0000009999', '/providers/nope/locations']) {
      const missing = await get(path);
      expect(missing.status).toBe(404);
      expect(missing.body).toMatchObject({
        error: { code: 'not_found', request_id: missing.headers['x-request-id'] },
      });
    }
    expect((await call(`${sandbox.url}/elsewhere`)).status).toBe(404);
  });

  it('serves schedules that parse and are stable across requests', async () => {
    const path = '/providers/PRV0000000001/schedule?start_date=2026-12-01&end_date=2026-12-14';
    const first = await get(path);
    const schedule = ScheduleSchema.parse(first.body);
    expect(schedule).toMatchObject({
      provider_id: 'PRV0000000001',
      start_date: '2026-12-01',
      end_date: '2026-12-14',
    });
    expect(schedule.schedule.length).toBeGreaterThan(20);
    for (const slot of schedule.schedule) SlotSchema.parse(slot);
    expect((await get(path)).body).toEqual(first.body);
  });

  it('validates schedule windows: 31 days at most, end not before start, real dates', async () => {
    const base = '/providers/PRV0000000001/schedule';
    expect((await get(`${base}?start_date=2026-12-01&end_date=2026-12-31`)).status).toBe(200);
    for (const query of [
      'start_date=2026-12-01&end_date=2027-01-01',
      'start_date=2026-12-02&end_date=2026-12-01',
      'start_date=2026-02-30&end_date=2026-03-01',
      'start_date=2026-12-01',
    ]) {
      const response = await get(`${base}?${query}`);
      expect(response.status).toBe(400);
      expect(response.body).toMatchObject({ error: { code: 'bad_request' } });
    }
    expect(
      (await get('/providers/PRV0000099999/schedule?start_date=2026-12-01&end_date=2026-12-01'))
        .status,
    ).toBe(404);
  });

  it('reflects booked and freed slots in the schedule', async () => {
    const path = '/providers/PRV0000000002/schedule?start_date=2026-12-07&end_date=2026-12-11';
    const slots = ScheduleSchema.parse((await get(path)).body).schedule.map((s) =>
      SlotSchema.parse(s),
    );
    const free = slots.find((s) => s.available);
    if (!free) throw new Error('expected a free slot');
    sandbox.admin.bookSlot('PRV0000000002', free.slot_id);
    const after = ScheduleSchema.parse((await get(path)).body).schedule.map((s) =>
      SlotSchema.parse(s),
    );
    expect(after.find((s) => s.slot_id === free.slot_id)?.available).toBe(false);
    sandbox.admin.freeSlot('PRV0000000002', free.slot_id);
    const again = ScheduleSchema.parse((await get(path)).body).schedule.map((s) =>
      SlotSchema.parse(s),
    );
    expect(again.find((s) => s.slot_id === free.slot_id)?.available).toBe(true);
    expect(() => sandbox.admin.bookSlot('PRV0000000002', 'SLT000000000200000000000')).toThrow(
      /no slot/,
    );
  });
});
