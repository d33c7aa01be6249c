import { afterAll, afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import nock from 'nock';
import {
  ErrorCode,
  ValidationError,
  exitCodeOf,
  type LogFields,
  type Logger,
} from '@pmsbridge/core';
import { createHealthConnectClient } from './create-client.js';
import type { HealthConnectClient } from './healthconnect-client.js';
import { ManualTime } from '@pmsbridge/core/http';
import { HealthConnectError, InsufficientScopeError } from './remote-errors.js';

const API = 'https://api.hc.test';
const AUTH = 'https://auth.hc.test';
const BASE = `${API}/provider/v2`;

function provider(id: string): Record<string, unknown> {
  return {
    id,
    npi: '1234567893',
    name: { first: 'Test', last: 'Smith', title: 'MD' },
    specialties: ['cardiology'],
    accepting_new_patients: true,
    status: 'active',
    updated_at: '2026-11-02T14:03:11Z',
  };
}

function slot(date: string): Record<string, unknown> {
  return {
    slot_id: `SLT-${date}`,
    date,
    time: '09:00',
    duration_minutes: 30,
    available: true,
    location_id: 'LOC0000000001',
    visit_type: 'new_patient',
  };
}

class RecordingLogger implements Logger {
  readonly lines: Array<{ level: string; message: string; fields?: LogFields }> = [];
  debug(message: string, fields?: LogFields): void {
    this.lines.push({ level: 'debug', message, fields });
  }
  info(message: string, fields?: LogFields): void {
    this.lines.push({ level: 'info', message, fields });
  }
  warn(message: string, fields?: LogFields): void {
    this.lines.push({ level: 'warn', message, fields });
  }
  error(message: string, fields?: LogFields): void {
    this.lines.push({ level: 'error', message, fields });
  }
  child(): Logger {
    return this;
  }
}

function tokenReply(token: string, expiresIn = 3600): nock.Scope {
  return nock(AUTH)
    .post(
      '/token',
      (body: Record<string, string>) =>
        body.grant_type === 'client_credentials' &&
        body.client_id === 'cid' &&
        body.client_secret === 'csecret',
    )
    .reply(200, {
      access_token: token,
      token_type: 'Bearer',
      expires_in: expiresIn,
      scope: 'provider:read schedule:read',
    });
}

describe('HealthConnectClient (edge cases against a mocked API)', () => {
  let time: ManualTime;
  let logger: RecordingLogger;
  let client: HealthConnectClient;

  const makeClient = (overrides: Record<string, unknown> = {}): HealthConnectClient =>
    createHealthConnectClient(
      {
        baseUrl: BASE,
        tokenUrl: `${AUTH}/token`,
        clientId: 'cid',
        clientSecret: 'csecret',
        retry: { maxRetryAfterMs: 120_000 },
        ...overrides,
      },
      { clock: time, sleep: time.sleep, random: () => 0.5, logger },
    );

  beforeEach(() => {
    nock.disableNetConnect();
    time = new ManualTime();
    logger = new RecordingLogger();
    client = makeClient();
  });

  afterEach(async () => {
    await client.close();
    nock.cleanAll();
    nock.enableNetConnect();
  });

  it('retries a 429 after Retry-After seconds, exactly', async () => {
    tokenReply('tok1');
    const api = nock(BASE)
      .get('/providers/PRV0000000001')
      .reply(
        429,
        { error: { code: 'rate_limited', message: 'slow down', request_id: 'r1' } },
        { 'Retry-After': '7' },
      )
      .get('/providers/PRV0000000001')
      .reply(200, provider('PRV0000000001'));
    const pending = client.getProvider('PRV0000000001');
    expect(await time.pendingSleeps(1)).toEqual([7000]);
    time.advance(7000);
    expect((await pending)?.id).toBe('PRV0000000001');
    expect(api.isDone()).toBe(true);
  });

  it('retries a 429 after a Retry-After HTTP date, exactly', async () => {
    tokenReply('tok1');
    const at = new Date(time.now().getTime() + 30_000).toUTCString();
    nock(BASE)
      .get('/providers/PRV0000000001')
      .reply(429, { error: { code: 'rate_limited', message: 'later' } }, { 'Retry-After': at })
      .get('/providers/PRV0000000001')
      .reply(200, provider('PRV0000000001'));
    const pending = client.getProvider('PRV0000000001');
    expect(await time.pendingSleeps(1)).toEqual([30_000]);
    time.advance(30_000);
    expect((await pending)?.id).toBe('PRV0000000001');
  });

  it('cuts a Retry-After longer than maxRetryAfterMs to the cap', async () => {
    await client.close();
    client = makeClient({ retry: { maxRetryAfterMs: 2_000 } });
    tokenReply('tok1');
    nock(BASE)
      .get('/providers/PRV0000000001')
      .reply(429, {}, { 'Retry-After': '3600' })
      .get('/providers/PRV0000000001')
      .reply(200, provider('PRV0000000001'));
    const pending = client.getProvider('PRV0000000001');
    expect(await time.pendingSleeps(1)).toEqual([2_000]);
    time.advance(2_000);
    expect((await pending)?.id).toBe('PRV0000000001');
  });

  it('pauses every caller of the client while a 429 Retry-After runs, not only the one that got it', async () => {
    tokenReply('tok1');
    const first = nock(BASE)
      .get('/providers/PRV0000000001')
      .reply(429, {}, { 'Retry-After': '10' })
      .get('/providers/PRV0000000001')
      .reply(200, provider('PRV0000000001'));
    const second = nock(BASE).get('/providers/PRV0000000002').reply(200, provider('PRV0000000002'));
    const a = client.getProvider('PRV0000000001');
    await time.pendingSleeps(1);
    const b = client.getProvider('PRV0000000002');
    // The second caller waits at the gate: no request of its own goes out.
    expect(await time.pendingSleeps(2)).toEqual([10_000, 10_000]);
    expect(second.isDone()).toBe(false);
    time.advance(10_000);
    expect((await a)?.id).toBe('PRV0000000001');
    expect((await b)?.id).toBe('PRV0000000002');
    expect(first.isDone() && second.isDone()).toBe(true);
  });

  it('backs off with full jitter on 503 and then succeeds', async () => {
    tokenReply('tok1');
    nock(BASE)
      .get('/providers/PRV0000000001/locations')
      .reply(503, { error: { code: 'unavailable', message: 'down' } })
      .get('/providers/PRV0000000001/locations')
      .reply(502, 'bad gateway')
      .get('/providers/PRV0000000001/locations')
      .reply(200, { locations: [] });
    const pending = client.getLocations('PRV0000000001');
    expect(await time.pendingSleeps(1)).toEqual([250]); // random 0.5 × 500 ms
    time.advance(250);
    expect(await time.pendingSleeps(1)).toEqual([500]); // random 0.5 × 1 000 ms
    time.advance(500);
    expect(await pending).toEqual([]);
  });

  it('refreshes the token once after a 401 invalid_token and retries with the fresh one', async () => {
    const tokens = tokenReply('old')
      .post('/token')
      .reply(200, { access_token: 'new', token_type: 'Bearer', expires_in: 3600 });
    const api = nock(BASE)
      .get('/providers/PRV0000000001')
      .matchHeader('authorization', 'Bearer old')
      .reply(
        401,
        { error: { code: 'unauthorized', message: 'expired' } },
        { 'WWW-Authenticate': 'Bearer error="invalid_token"' },
      )
      .get('/providers/PRV0000000001')
      .matchHeader('authorization', 'Bearer new')
      .reply(200, provider('PRV0000000001'));
    expect((await client.getProvider('PRV0000000001'))?.id).toBe('PRV0000000001');
    expect(tokens.isDone() && api.isDone()).toBe(true);
  });

  it('gives up on a second 401 after one refresh, without the token in the error', async () => {
    tokenReply('secret-token-1')
      .post('/token')
      .reply(200, { access_token: 'secret-token-2', token_type: 'Bearer', expires_in: 3600 });
    nock(BASE)
      .get('/providers/PRV0000000001')
      .twice()
      .reply(
        401,
        { error: { code: 'unauthorized', message: 'no' } },
        { 'WWW-Authenticate': 'Bearer error="invalid_token"', 'X-Request-Id': 'req-401' },
      );
    const error = await client.getProvider('PRV0000000001').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(HealthConnectError);
    expect((error as HealthConnectError).status).toBe(401);
    expect((error as HealthConnectError).requestId).toBe('req-401');
    expect((error as HealthConnectError).code).toBe(ErrorCode.HcAuthRefused);
    expect(
      JSON.stringify((error as HealthConnectError).toJSON()) + String((error as Error).message),
    ).not.toMatch(/secret-token/);
    expect(nock.pendingMocks()).toEqual([]);
  });

  it.each([
    ['no challenge', {}],
    [
      'a challenge other than invalid_token',
      { 'WWW-Authenticate': 'Bearer error="invalid_request"' },
    ],
  ])(
    'fails a 401 with %s at once as an auth error, without refreshing the token',
    async (_label, headers: Record<string, string>) => {
      const tokens = tokenReply('tok1');
      const api = nock(BASE)
        .get('/providers/PRV0000000001')
        .once()
        .reply(401, { error: { code: 'unauthorized', message: 'no' } }, headers);
      const error = await client.getProvider('PRV0000000001').catch((e: unknown) => e);
      expect(error).toBeInstanceOf(HealthConnectError);
      expect(error).toMatchObject({
        status: 401,
        code: ErrorCode.HcAuthRefused,
        category: 'PMS_AUTH',
      });
      expect(tokens.isDone() && api.isDone()).toBe(true);
      // A refresh would have asked the token endpoint again, which has no second answer here.
      expect(String((error as Error).message)).toMatch(/answered 401/);
    },
  );

  it('turns a 403 insufficient_scope into a scope-missing config error and does not retry it', async () => {
    tokenReply('tok1');
    nock(BASE)
      .post('/webhooks')
      .reply(
        403,
        { error: { code: 'forbidden', message: 'scope' } },
        {
          'WWW-Authenticate': 'Bearer error="insufficient_scope", scope="webhooks:manage"',
          'X-Request-Id': 'req-403',
        },
      );
    const error = await client
      .subscribeWebhook({ url: 'https://pms.example.com/hooks', events: ['schedule.updated'] })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InsufficientScopeError);
    expect(error).toMatchObject({ code: ErrorCode.HcScopeMissing, category: 'PMS_CONFIG' });
    expect((error as InsufficientScopeError).requiredScope).toBe('webhooks:manage');
    expect((error as InsufficientScopeError).requestId).toBe('req-403');
    expect(time.sleeps).toEqual([]);
  });

  it('does not retry a 400 and carries status, request id and remote code', async () => {
    tokenReply('tok1');
    nock(BASE)
      .get('/providers/PRV0000000001/schedule')
      .query(true)
      .reply(
        400,
        {
          error: {
            code: 'bad_request',
            message: 'end_date before start_date',
            request_id: 'body-id',
          },
        },
        { 'X-Request-Id': 'req-400' },
      );
    const error = await client
      .getSchedule('PRV0000000001', { startDate: '2026-12-01', endDate: '2026-12-02' })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(HealthConnectError);
    expect(error).toMatchObject({ status: 400, requestId: 'req-400', remoteCode: 'bad_request' });
    expect(time.sleeps).toEqual([]);
  });

  it('returns undefined for a provider HealthConnect does not know (404)', async () => {
    tokenReply('tok1');
    nock(BASE)
      .get('/providers/PRV0000000404')
      .reply(404, { error: { code: 'not_found', message: 'no such provider' } });
    expect(await client.getProvider('PRV0000000404')).toBeUndefined();
    expect(time.sleeps).toEqual([]);
  });

  it('refuses a key that is not a HealthConnect provider id without sending a request', async () => {
    const error = await client.getProvider('page 2 #7').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ValidationError);
    expect((error as Error).message).toContain('Not a HealthConnect provider id: "page 2 #7"');
    expect(nock.pendingMocks()).toEqual([]);
  });

  it('returns providers and slots in the domain model, not the wire format', async () => {
    tokenReply('tok1');
    nock(BASE)
      .get('/providers/PRV0000000001')
      .reply(200, {
        ...provider('PRV0000000001'),
        insurance_accepted: ['Aetna'],
        locations: [
          {
            id: 'LOC0000000001',
            name: 'Clinic',
            address: {
              line: ['1 Main St'],
              city: 'Austin',
              state: 'TX',
              postal_code: '78701',
              country: 'US',
            },
            timezone: 'America/Chicago',
          },
        ],
      })
      .get('/providers/PRV0000000001/schedule')
      .query({ start_date: '2026-12-01', end_date: '2026-12-01' })
      .reply(200, {
        provider_id: 'PRV0000000001',
        start_date: '2026-12-01',
        end_date: '2026-12-01',
        schedule: [slot('2026-12-01')],
      });
    expect(await client.getProvider('PRV0000000001')).toEqual({
      id: 'PRV0000000001',
      npi: '1234567893',
      name: { first: 'Test', last: 'Smith', title: 'MD' },
      specialties: ['cardiology'],
      acceptingNewPatients: true,
      insuranceAccepted: ['Aetna'],
      locations: [
        {
          id: 'LOC0000000001',
          name: 'Clinic',
          address: {
            lines: ['1 Main St'],
            city: 'Austin',
            state: 'TX',
            postalCode: '78701',
            country: 'US',
          },
          timezone: 'America/Chicago',
        },
      ],
      status: 'active',
      updatedAt: '2026-11-02T14:03:11Z',
    });
    expect(
      await client.getSchedule('PRV0000000001', { startDate: '2026-12-01', endDate: '2026-12-01' }),
    ).toEqual([
      {
        id: 'SLT-2026-12-01',
        date: '2026-12-01',
        time: '09:00',
        durationMinutes: 30,
        available: true,
        locationId: 'LOC0000000001',
        visitType: 'new_patient',
      },
    ]);
  });

  it('asks for fields by their HealthConnect names and returns only those, in domain names', async () => {
    await client.close();
    client = makeClient({ fields: ['npi', 'accepting_new_patients', 'status'] });
    tokenReply('tok1');
    nock(BASE)
      .get('/providers/PRV0000000001')
      .query({ fields: 'npi,accepting_new_patients,status' })
      .reply(200, provider('PRV0000000001'));
    expect(await client.getProvider('PRV0000000001')).toEqual({
      id: 'PRV0000000001',
      npi: '1234567893',
      acceptingNewPatients: true,
      status: 'active',
    });
  });

  it('retries a 200 whose body is not JSON, and reports it once retries run out', async () => {
    await client.close();
    client = makeClient({ retry: { maxAttempts: 2 } });
    tokenReply('tok1');
    nock(BASE)
      .get('/providers/PRV0000000001')
      .reply(200, '{"id": "PRV0000000001", "npi": ', {
        'Content-Type': 'application/json',
        'X-Request-Id': 'req-bad',
      })
      .get('/providers/PRV0000000001')
      .reply(200, provider('PRV0000000001'))
      .get('/providers/PRV0000000003')
      .twice()
      .reply(200, '{"id": ', { 'Content-Type': 'application/json', 'X-Request-Id': 'req-bad' });
    const pending = client.getProvider('PRV0000000001');
    await time.pendingSleeps(1);
    time.advance(1_000);
    expect((await pending)?.id).toBe('PRV0000000001');
    const failing = client.getProvider('PRV0000000003').catch((e: unknown) => e);
    await time.pendingSleeps(1);
    time.advance(1_000);
    const error = await failing;
    expect(error).toBeInstanceOf(HealthConnectError);
    expect(error).toMatchObject({ status: 200, remoteCode: 'invalid_json', requestId: 'req-bad' });
    expect(nock.pendingMocks()).toEqual([]);
  });

  it('shares one token request among concurrent callers and caches the token', async () => {
    const tokens = tokenReply('tok1'); // replies once: a second token request would fail
    nock(BASE)
      .get(/\/providers\/PRV000000000\d\/locations/)
      .times(6)
      .matchHeader('authorization', 'Bearer tok1')
      .reply(200, { locations: [] });
    await Promise.all(
      ['1', '2', '3', '4', '5'].map((n) => client.getLocations(`PRV000000000${n}`)),
    );
    await client.getLocations('PRV0000000006');
    expect(tokens.isDone()).toBe(true);
  });

  it('refreshes the token ahead of its expiry', async () => {
    tokenReply('tok1', 600)
      .post('/token')
      .reply(200, { access_token: 'tok2', token_type: 'Bearer', expires_in: 600 });
    nock(BASE)
      .get('/providers/PRV0000000001/locations')
      .matchHeader('authorization', 'Bearer tok1')
      .reply(200, { locations: [] });
    nock(BASE)
      .get('/providers/PRV0000000001/locations')
      .matchHeader('authorization', 'Bearer tok2')
      .reply(200, { locations: [] });
    await client.getLocations('PRV0000000001');
    time.advance(541_000); // 600 s lifetime, refreshed 60 s ahead
    await client.getLocations('PRV0000000001');
    expect(nock.pendingMocks()).toEqual([]);
  });

  it('reports a provider that fails the schema as invalid, keyed by its id, and keeps the rest', async () => {
    tokenReply('tok1');
    const broken = { ...provider('PRV0000000002'), npi: 'not-an-npi' };
    nock(BASE)
      .get('/providers')
      .query({
        specialty: 'cardiology',
        location: 'New York, NY',
        accepting_new_patients: 'true',
        page: '1',
        per_page: '100',
      })
      .reply(200, {
        providers: [provider('PRV0000000001'), broken],
        page: 1,
        per_page: 100,
        total: 2,
        has_next_page: false,
      });
    const pages = [];
    for await (const page of client.searchProviders({
      specialty: 'cardiology',
      location: 'New York, NY',
      acceptingNewPatients: true,
    }))
      pages.push(page);
    expect(pages).toHaveLength(1);
    expect(pages[0]?.providers.map((p) => p.id)).toEqual(['PRV0000000001']);
    expect(pages[0]?.invalid).toHaveLength(1);
    expect(pages[0]?.invalid[0]?.key).toBe('PRV0000000002');
    expect(pages[0]?.invalid[0]?.error).toBeInstanceOf(ValidationError);
    expect(pages[0]?.invalid[0]?.error.message).toMatch(/npi/);
  });

  it('caches provider details and shares one request among concurrent identical lookups', async () => {
    tokenReply('tok1');
    nock(BASE).get('/providers/PRV0000000001').once().reply(200, provider('PRV0000000001'));
    const [a, b] = await Promise.all([
      client.getProvider('PRV0000000001'),
      client.getProvider('PRV0000000001'),
    ]);
    const c = await client.getProvider('PRV0000000001');
    expect([a?.id, b?.id, c?.id]).toEqual(['PRV0000000001', 'PRV0000000001', 'PRV0000000001']);
  });

  it('keeps a shared lookup going for the others when the caller that started it aborts', async () => {
    tokenReply('tok1');
    const controller = new AbortController();
    nock(BASE)
      .get('/providers/PRV0000000001')
      .once()
      .reply(() => {
        controller.abort(); // A gives up while the shared request is in flight
        return [200, provider('PRV0000000001')];
      });
    const a = client.getProvider('PRV0000000001', { signal: controller.signal });
    const b = client.getProvider('PRV0000000001');
    expect(await a.catch((e: unknown) => e)).toMatchObject({ code: ErrorCode.Cancelled });
    expect((await b)?.id).toBe('PRV0000000001');
    expect(nock.pendingMocks()).toEqual([]);
  });

  it('cancels a shared lookup once every caller waiting for it has aborted', async () => {
    tokenReply('tok1');
    const first = new AbortController();
    const second = new AbortController();
    nock(BASE)
      .get('/providers/PRV0000000001')
      .reply(() => {
        first.abort();
        second.abort();
        return [200, provider('PRV0000000001')];
      })
      .get('/providers/PRV0000000001')
      .reply(200, { ...provider('PRV0000000001'), npi: '1245319599' });
    const a = client.getProvider('PRV0000000001', { signal: first.signal });
    const b = client.getProvider('PRV0000000001', { signal: second.signal });
    expect(await a.catch((e: unknown) => e)).toMatchObject({ code: ErrorCode.Cancelled });
    expect(await b.catch((e: unknown) => e)).toMatchObject({ code: ErrorCode.Cancelled });
    // The abandoned answer was not cached: the next lookup makes its own request.
    expect((await client.getProvider('PRV0000000001'))?.npi).toBe('1245319599');
  });

  it('splits a schedule window over 31 days into several requests and concatenates them, never caching', async () => {
    tokenReply('tok1');
    const chunk = (start: string, end: string): nock.Interceptor =>
      nock(BASE)
        .get('/providers/PRV0000000001/schedule')
        .query({ start_date: start, end_date: end })
        .times(2);
    // Each window is served twice: the second call proves schedules are not cached.
    const first = chunk('2026-12-01', '2026-12-31').reply(200, {
      provider_id: 'PRV0000000001',
      start_date: '2026-12-01',
      end_date: '2026-12-31',
      schedule: [slot('2026-12-01'), slot('2026-12-31')],
    });
    const second = chunk('2027-01-01', '2027-01-31').reply(200, {
      provider_id: 'PRV0000000001',
      start_date: '2027-01-01',
      end_date: '2027-01-31',
      schedule: [slot('2027-01-01'), slot('2027-01-31')],
    });
    const slots = await client.getSchedule('PRV0000000001', {
      startDate: '2026-12-01',
      endDate: '2027-01-31',
    });
    expect(slots.map((s) => s.date)).toEqual([
      '2026-12-01',
      '2026-12-31',
      '2027-01-01',
      '2027-01-31',
    ]);
    await client.getSchedule('PRV0000000001', { startDate: '2026-12-01', endDate: '2027-01-31' });
    expect(first.isDone() && second.isDone()).toBe(true);
  });

  it('logs one debug line per request with method, path, status, duration and request id, and no token', async () => {
    tokenReply('very-secret-token');
    nock(BASE)
      .get('/providers/PRV0000000001/locations')
      .reply(200, { locations: [] }, { 'X-Request-Id': 'req-log' });
    await client.getLocations('PRV0000000001');
    const line = logger.lines.find((l) => l.message === 'request');
    expect(line?.fields).toMatchObject({
      method: 'GET',
      path: '/providers/PRV0000000001/locations',
      status: 200,
      requestId: 'req-log',
    });
    expect(typeof line?.fields?.durationMs).toBe('number');
    expect(JSON.stringify(logger.lines)).not.toMatch(/very-secret-token|csecret/);
  });

  it('reads the changes feed page by page, resumable at a cursor', async () => {
    tokenReply('tok1');
    nock(BASE)
      .get('/providers/changes')
      .query({ since: '2026-11-01T00:00:00Z' })
      .reply(200, {
        changes: [
          {
            type: 'created',
            provider_id: 'PRV0000000001',
            changed_at: '2026-11-02T00:00:00Z',
            provider: provider('PRV0000000001'),
          },
          { type: 'updated', provider_id: 'PRV0000000009' },
        ],
        has_more: true,
        next_cursor: 'c2',
        until: '2026-11-03T00:00:00Z',
      })
      .get('/providers/changes')
      .query({ since: '2026-11-01T00:00:00Z', cursor: 'c2' })
      .reply(200, {
        changes: [
          { type: 'deactivated', provider_id: 'PRV0000000002', changed_at: '2026-11-03T00:00:00Z' },
        ],
        has_more: false,
        next_cursor: null,
        until: '2026-11-04T00:00:00Z',
      });
    const reads = [];
    for await (const read of client.changes({ since: '2026-11-01T00:00:00Z' })) reads.push(read);
    expect(reads.map((r) => r.cursor)).toEqual([undefined, 'c2']);
    expect(reads[0]?.changes.map((c) => c.type)).toEqual(['created']);
    expect(reads[0]?.invalid.map((r) => r.key)).toEqual(['PRV0000000009']);
    expect(reads[1]?.until).toBe('2026-11-04T00:00:00Z');
  });

  it('resumes the changes feed at a stored cursor', async () => {
    tokenReply('tok1');
    nock(BASE)
      .get('/providers/changes')
      .query({ since: '2026-11-01T00:00:00Z', cursor: 'c7' })
      .reply(200, { changes: [], has_more: false, until: '2026-11-05T00:00:00Z' });
    const reads = [];
    for await (const read of client.changes({ since: '2026-11-01T00:00:00Z', cursor: 'c7' }))
      reads.push(read);
    expect(reads.map((r) => [r.cursor, r.until])).toEqual([['c7', '2026-11-05T00:00:00Z']]);
  });

  it('stops waiting at the rate gate when the caller aborts', async () => {
    tokenReply('tok1');
    nock(BASE).get('/providers/PRV0000000001').reply(429, {}, { 'Retry-After': '30' });
    const first = client.getProvider('PRV0000000001').catch((e: unknown) => e);
    await time.pendingSleeps(1);
    const controller = new AbortController();
    const second = client.getLocations('PRV0000000002', controller.signal).catch((e: unknown) => e);
    await time.pendingSleeps(2);
    controller.abort();
    expect(await second).toMatchObject({ code: ErrorCode.Cancelled });
    nock.cleanAll();
    nock(BASE).get('/providers/PRV0000000001').reply(200, provider('PRV0000000001'));
    time.advance(30_000);
    expect(await first).toMatchObject({ id: 'PRV0000000001' });
  });

  it('opens the circuit after consecutive server failures and then fails fast without a request', async () => {
    await client.close();
    client = makeClient({
      retry: { maxAttempts: 1 },
      circuitBreaker: { failureThreshold: 2, resetMs: 10_000 },
    });
    tokenReply('tok1');
    nock(BASE)
      .get('/providers/PRV0000000001/locations')
      .twice()
      .reply(500, { error: { code: 'internal', message: 'boom' } });
    for (let i = 0; i < 2; i += 1) {
      expect(await client.getLocations('PRV0000000001').catch((e: unknown) => e)).toMatchObject({
        status: 500,
      });
    }
    expect(await client.getLocations('PRV0000000001').catch((e: unknown) => e)).toMatchObject({
      code: ErrorCode.CircuitOpen,
    });
    time.advance(10_000);
    nock(BASE).get('/providers/PRV0000000001/locations').reply(200, { locations: [] });
    expect(await client.getLocations('PRV0000000001')).toEqual([]);
  });

  it('admits a later probe when the half-open probe is aborted while paused at the rate gate', async () => {
    await client.close();
    client = makeClient({
      retry: { maxAttempts: 1 },
      circuitBreaker: { failureThreshold: 1, resetMs: 10_000 },
    });
    tokenReply('tok1');
    const resetEpochS = (time.now().getTime() + 20_000) / 1000;
    nock(BASE)
      .get('/providers/PRV0000000001/locations')
      .reply(
        500,
        { error: { code: 'internal', message: 'boom' } },
        { 'X-RateLimit-Remaining': '0', 'X-RateLimit-Reset': String(resetEpochS) },
      );
    expect(await client.getLocations('PRV0000000001').catch((e: unknown) => e)).toMatchObject({
      status: 500,
    });
    time.advance(10_000); // half-open, but the gate stays closed for another 10 s
    const controller = new AbortController();
    const probe = client.getLocations('PRV0000000001', controller.signal).catch((e: unknown) => e);
    expect(await time.pendingSleeps(1)).toEqual([10_000]);
    controller.abort();
    expect(await probe).toMatchObject({ code: ErrorCode.Cancelled });
    nock(BASE).get('/providers/PRV0000000001/locations').reply(200, { locations: [] });
    const later = client.getLocations('PRV0000000001').catch((e: unknown) => e);
    // Admitted: it waits at the gate instead of failing fast with CircuitOpenError.
    const outcome = await Promise.race([later, time.pendingSleeps(1).then(() => 'waiting')]);
    expect(outcome).toBe('waiting');
    time.advance(10_000);
    expect(await later).toEqual([]);
  });

  it('records a request cancelled in flight as neither a success nor a failure of the circuit', async () => {
    await client.close();
    client = makeClient({
      retry: { maxAttempts: 1 },
      circuitBreaker: { failureThreshold: 2, resetMs: 10_000 },
    });
    tokenReply('tok1');
    const controller = new AbortController();
    nock(BASE)
      .get('/providers/PRV0000000001/locations')
      .reply(500, { error: { code: 'internal', message: 'boom' } })
      .get('/providers/PRV0000000002/locations')
      .reply(() => {
        controller.abort();
        return [200, { locations: [] }];
      })
      .get('/providers/PRV0000000001/locations')
      .reply(500, { error: { code: 'internal', message: 'boom' } });
    await client.getLocations('PRV0000000001').catch((e: unknown) => e);
    expect(
      await client.getLocations('PRV0000000002', controller.signal).catch((e: unknown) => e),
    ).toMatchObject({ code: ErrorCode.Cancelled });
    await client.getLocations('PRV0000000001').catch((e: unknown) => e);
    // Two consecutive server failures: the cancelled call in between did not reset the count.
    expect(await client.getLocations('PRV0000000001').catch((e: unknown) => e)).toMatchObject({
      code: ErrorCode.CircuitOpen,
    });
  });

  it('reports rejected client credentials as refused (exit code 1) without the secret', async () => {
    nock(AUTH)
      .post('/token')
      .reply(401, { error: 'invalid_client', error_description: 'unknown client' });
    const error = await client.getProvider('PRV0000000001').catch((e: unknown) => e);
    expect(error).toMatchObject({
      code: ErrorCode.HcAuthRefused,
      category: 'PMS_AUTH',
      status: 401,
    });
    expect(exitCodeOf((error as HealthConnectError).code)).toBe(1);
    expect(String((error as Error).message)).toMatch(/clientId and clientSecret/);
    expect(JSON.stringify(error) + String((error as Error).message)).not.toMatch(/csecret/);
  });
});

// nock intercepts every socket of the process from its import on, and jest runs later test
// files in the same process: give them the real network back (a raw-socket test of the
// webhook listener hung on the interceptor).
afterAll(() => {
  nock.restore();
});
