/**
 * `pmsbridge serve` end to end: the directory and availability read from the sandbox over
 * HTTP, bookings go to the test FHIR server as Appointments, state in SQLite. Concurrency,
 * idempotency, a partner outage, API keys, validation and the OpenAPI document, as a client
 * sees them over HTTP.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Validator } from '@seriousme/openapi-schema-validator';
import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import { request } from 'undici';
import { hashApiKey, loadConfig, openServeApp, type ServeApp } from '@pmsbridge/core';
import { RecordingLogger } from '@pmsbridge/core/testing';
import { startSandbox, type Sandbox } from '@pmsbridge/healthconnect-sandbox';
import { startFhirServer, type FhirServer } from '@pmsbridge/test-fhir-server';
import { createWorkspace, sandboxSource, type Workspace } from './pipeline-harness.js';

const READER = 'pmsb_reader-key-for-tests-0000000000000000000';
const BOOKER = 'pmsb_booker-key-for-tests-0000000000000000000';
const patient = { firstName: 'Ana', lastName: 'Rivera', birthDate: '1980-04-02' };

interface Reply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Record<string, unknown>;
}

describe('pmsbridge serve: directory, availability and bookings over HTTP', () => {
  let sandbox: Sandbox;
  let fhir: FhirServer;
  let workspace: Workspace;
  let app: ServeApp;
  let logger: RecordingLogger;
  const today = new Date().toISOString().slice(0, 10);
  const inAWeek = new Date(Date.now() + 7 * 86_400_000).toISOString().slice(0, 10);

  async function call(
    method: 'GET' | 'POST' | 'DELETE',
    path: string,
    options: { key?: string; body?: unknown; headers?: Record<string, string>; raw?: string } = {},
  ): Promise<Reply> {
    const body =
      options.raw ?? (options.body === undefined ? undefined : JSON.stringify(options.body));
    const response = await request(`${app.server.url}${path}`, {
      method,
      headers: {
        ...(options.key === undefined ? {} : { authorization: `Bearer ${options.key}` }),
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        ...options.headers,
      },
      body,
    });
    return {
      status: response.statusCode,
      headers: response.headers,
      body: (await response.body.json()) as Record<string, unknown>,
    };
  }

  const book = (key: string, slot: { providerId: string; slotId: string }) =>
    call('POST', '/v1/bookings', {
      key: BOOKER,
      headers: { 'idempotency-key': key },
      body: { ...slot, patient },
    });

  async function appointments(): Promise<
    Array<{ status: string; slot: Array<{ reference: string }> }>
  > {
    const response = await request(`${fhir.baseUrl}/Appointment?_count=1000`);
    const bundle = (await response.body.json()) as { entry?: Array<{ resource: never }> };
    return (bundle.entry ?? []).map((e) => e.resource);
  }

  /** The free slots of the next week, from the API. */
  async function freeSlots(): Promise<Array<{ providerId: string; slotId: string }>> {
    const found = await call(
      'GET',
      `/v1/availability?startDate=${today}&endDate=${inAWeek}&perPage=100`,
      {
        key: READER,
      },
    );
    expect(found.status).toBe(200);
    return (found.body.items as Array<{ provider: { id: string }; slot: { id: string } }>).map(
      (s) => ({
        providerId: s.provider.id,
        slotId: s.slot.id,
      }),
    );
  }

  beforeAll(async () => {
    sandbox = await startSandbox({ providers: 40, seed: 9 });
    fhir = await startFhirServer();
    workspace = await createWorkspace();
    const config = `pipeline: it-serve
state: { path: state.sqlite }
${sandboxSource(sandbox)}
sinks:
  - use: '@pmsbridge/adapter-fhir'
    options: { baseUrl: '${fhir.baseUrl}' }
booking:
  use: '@pmsbridge/adapter-fhir/booking'
  options: { baseUrl: '${fhir.baseUrl}', maxRetries: 0 }
serve:
  port: 0
  rateLimitPerMinute: 100000
  maxBodyBytes: 2048
  apiKeys:
    - { id: reader, hash: '${hashApiKey(READER)}', scopes: [read] }
    - { id: booker, hash: '${hashApiKey(BOOKER)}', scopes: [read, book] }
`;
    const path = join(workspace.dir, 'serve.yaml');
    await writeFile(path, config);
    logger = new RecordingLogger();
    app = await openServeApp(
      await loadConfig(path, { ...process.env, HC_TEST_SECRET: sandbox.clientSecret }),
      { logger },
    );
  });

  afterAll(async () => {
    await app?.close();
    await fhir?.close();
    await sandbox?.close();
    await workspace?.cleanup();
  });

  it('searches the directory: matching providers, each with locations and its next free slot', async () => {
    const found = await call('GET', '/v1/providers?specialty=cardiology&perPage=5', {
      key: READER,
    });
    expect(found.status).toBe(200);
    const items = found.body.items as Array<{
      provider: { specialties: string[] };
      locations: unknown[];
      nextAvailable?: { start: string };
    }>;
    expect(items.length).toBeGreaterThan(0);
    expect(items.every((i) => i.provider.specialties.includes('cardiology'))).toBe(true);
    expect(items.every((i) => i.locations.length > 0)).toBe(true);
    expect(items.some((i) => i.nextAvailable !== undefined)).toBe(true);
    expect(found.body).toMatchObject({ page: 1, perPage: 5 });
  });

  it('lists available slots earliest first, matching the visit type asked for', async () => {
    const found = await call(
      'GET',
      `/v1/availability?startDate=${today}&endDate=${inAWeek}&visitType=new_patient&perPage=50`,
      { key: READER },
    );
    expect(found.status).toBe(200);
    const slots = found.body.items as Array<{
      start: string;
      slot: { visitType: string; available: boolean };
    }>;
    expect(slots.length).toBeGreaterThan(0);
    expect(slots.every((s) => s.slot.visitType === 'new_patient' && s.slot.available)).toBe(true);
    const instants = slots.map((s) => Date.parse(s.start));
    expect(instants).toEqual([...instants].sort((a, b) => a - b));
  });

  it('books a slot once for 10 identical requests, each answered with the same booking', async () => {
    const [slot] = await freeSlots();
    if (slot === undefined) throw new Error('no free slot');
    const replies = await Promise.all(Array.from({ length: 10 }, () => book('same-key', slot)));
    expect(replies.map((r) => r.status).sort()).toEqual([
      200, 200, 200, 200, 200, 200, 200, 200, 200, 201,
    ]);
    expect(new Set(replies.map((r) => JSON.stringify(r.body))).size).toBe(1);
    expect(replies.filter((r) => r.headers['idempotent-replayed'] === 'true')).toHaveLength(9);
    const booking = replies[0]?.body as { id: string; status: string; partnerId: string };
    expect(booking.status).toBe('booked');
    const held = (await appointments()).filter((a) => a.status === 'booked');
    expect(held).toHaveLength(1);
    expect((await call('GET', `/v1/bookings/${booking.id}`, { key: READER })).body).toEqual(
      booking,
    );
  });

  it('gives one of 50 concurrent bookings of a slot the slot, and the others slot_unavailable', async () => {
    const [, slot] = await freeSlots();
    if (slot === undefined) throw new Error('no free slot');
    const before = (await appointments()).length;
    const replies = await Promise.all(
      Array.from({ length: 50 }, (_, i) => book(`race-${i}`, slot)),
    );
    expect(replies.filter((r) => r.status === 201)).toHaveLength(1);
    const refused = replies.filter((r) => r.status === 409);
    expect(refused).toHaveLength(49);
    expect(refused[0]?.body).toMatchObject({
      type: 'https://pmsbridge.dev/problems/slot-unavailable',
      status: 409,
      booking: { status: 'refused', refusal: { code: 'slot_unavailable' } },
    });
    expect(refused[0]?.headers['content-type']).toContain('application/problem+json');
    expect((await appointments()).length).toBe(before + 1);
  });

  it('answers 503 with Retry-After while the partner is down, books nothing, and books on the retry', async () => {
    const [, , slot] = await freeSlots();
    if (slot === undefined) throw new Error('no free slot');
    const before = (await appointments()).length;
    fhir.setFault({ status: 503 });
    const down = await book('outage', slot);
    fhir.setFault(undefined);
    expect(down.status).toBe(503);
    expect(down.headers['retry-after']).toBe('5');
    expect(down.body).toMatchObject({ type: 'https://pmsbridge.dev/problems/partner-unavailable' });
    expect((await appointments()).length).toBe(before);
    const retried = await book('outage', slot);
    expect(retried.status).toBe(200);
    expect(retried.body).toMatchObject({ status: 'booked' });
    expect((await appointments()).length).toBe(before + 1);
  });

  it('cancels a booking at the partner', async () => {
    const [, , , slot] = await freeSlots();
    if (slot === undefined) throw new Error('no free slot');
    const booked = await book('to-cancel', slot);
    const id = (booked.body as { id: string }).id;
    expect((await call('DELETE', `/v1/bookings/${id}`, { key: READER })).status).toBe(403);
    const cancelled = await call('DELETE', `/v1/bookings/${id}`, { key: BOOKER });
    expect(cancelled).toMatchObject({ status: 200, body: { id, status: 'cancelled' } });
    expect(
      (await call('DELETE', '/v1/bookings/BKG00000000000000000000', { key: BOOKER })).status,
    ).toBe(404);
  });

  it('refuses a missing or forged key (401) and a key without the scope (403), reading and booking nothing', async () => {
    const before = (await appointments()).length;
    const missing = await call('GET', '/v1/providers');
    expect(missing).toMatchObject({
      status: 401,
      body: { type: 'https://pmsbridge.dev/problems/unauthorized' },
    });
    expect(missing.headers['www-authenticate']).toBe('Bearer');
    expect(missing.body).not.toHaveProperty('items');
    expect((await call('GET', '/v1/providers', { key: `${READER}x` })).status).toBe(401);
    const [slot] = await freeSlots();
    const forbidden = await call('POST', '/v1/bookings', {
      key: READER,
      headers: { 'idempotency-key': 'k' },
      body: { ...slot, patient },
    });
    expect(forbidden).toMatchObject({
      status: 403,
      body: { title: 'This API key lacks the book scope' },
    });
    expect((await appointments()).length).toBe(before);
  });

  it('answers malformed input with 400 naming the field, and refuses large or non-JSON bodies', async () => {
    const badDate = await call('GET', `/v1/availability?startDate=tomorrow&endDate=${inAWeek}`, {
      key: READER,
    });
    expect(badDate.status).toBe(400);
    expect(badDate.body.errors).toEqual([{ field: 'startDate', message: 'Invalid ISO date' }]);
    const unknown = await call('GET', '/v1/providers?speciality=cardiology', { key: READER });
    expect(unknown.status).toBe(400);
    expect(JSON.stringify(unknown.body)).toContain('speciality');
    const [slot] = await freeSlots();
    const noKey = await call('POST', '/v1/bookings', { key: BOOKER, body: { ...slot, patient } });
    expect(noKey).toMatchObject({ status: 400, body: { errors: [{ field: 'header' }] } });
    const noBirthDate = await call('POST', '/v1/bookings', {
      key: BOOKER,
      headers: { 'idempotency-key': 'bad-body' },
      body: { ...slot, patient: { firstName: 'Ana', lastName: 'Rivera' } },
    });
    expect(noBirthDate).toMatchObject({
      status: 400,
      body: { errors: [{ field: 'patient.birthDate' }] },
    });
    expect(JSON.stringify(noBirthDate.body)).not.toContain('Rivera');
    const large = await call('POST', '/v1/bookings', {
      key: BOOKER,
      headers: { 'idempotency-key': 'large' },
      body: { ...slot, patient, reason: 'x'.repeat(3000) },
    });
    expect(large.status).toBe(413);
    const text = await call('POST', '/v1/bookings', {
      key: BOOKER,
      headers: { 'idempotency-key': 'text', 'content-type': 'text/plain' },
      raw: 'hello',
    });
    expect(text.status).toBe(415);
  });

  it('describes every route in /openapi.json (3.1), and serves every operation it describes', async () => {
    const doc = await call('GET', '/openapi.json');
    expect(doc.status).toBe(200);
    expect(doc.body.openapi).toBe('3.1.0');
    const paths = doc.body.paths as Record<string, Record<string, { 'x-scope': string }>>;
    const operations = Object.entries(paths).flatMap(([path, methods]) =>
      Object.keys(methods).map((method) => `${method.toUpperCase()} ${path}`),
    );
    expect(operations.sort()).toEqual(
      [
        'DELETE /v1/bookings/{id}',
        'GET /v1/availability',
        'GET /v1/bookings/{id}',
        'GET /v1/providers',
        'GET /v1/providers/{id}',
        'POST /v1/bookings',
      ].sort(),
    );
    for (const operation of operations) {
      const [method, template] = operation.split(' ') as ['GET' | 'POST' | 'DELETE', string];
      const reply = await call(method, template.replace('{id}', 'BKG00000000000000000000'), {
        key: BOOKER,
      });
      // Routed: never "no such resource" nor "method not allowed".
      expect({ operation, status: reply.status, title: reply.body.title }).not.toMatchObject({
        title: 'No such resource',
      });
      expect(reply.status).not.toBe(405);
    }
    expect((await call('GET', '/healthz')).status).toBe(200);
    const scraped = await request(`${app.server.url}/metrics`);
    expect(scraped.statusCode).toBe(200);
    const text = await scraped.body.text();
    expect(text).toMatch(
      /^pmsbridge_http_client_request_duration_seconds_count\{.*system="healthconnect".*\} \d+/m,
    );
    expect((await call('GET', '/readyz')).body).toEqual({ status: 'ready' });
  });

  it('serves an OpenAPI document a third-party validator accepts, and answers as it describes', async () => {
    const doc = (await call('GET', '/openapi.json')).body;
    const validator = new Validator();
    const checked = await validator.validate(structuredClone(doc));
    expect({ valid: checked.valid, errors: checked.errors }).toEqual({
      valid: true,
      errors: undefined,
    });
    expect(validator.version).toBe('3.1');

    // Real answers checked against the response schemas the document gives them.
    const ajv = new Ajv2020({ strict: false, allErrors: true });
    addFormats.default(ajv);
    type Operation = {
      responses: Record<string, { content?: Record<string, { schema: unknown }> }>;
    };
    const resolved = validator.resolveRefs() as {
      paths: Record<string, Record<string, Operation>>;
    };
    const paths = resolved.paths;
    const check = async (
      method: 'GET' | 'POST',
      template: string,
      path: string,
      options: Parameters<typeof call>[2],
    ) => {
      const reply = await call(method, path, options);
      const described =
        paths[template]?.[method.toLowerCase()]?.responses[String(reply.status)]?.content;
      const [, media] = Object.entries(described ?? {})[0] ?? [];
      expect({ path, status: reply.status, described: media !== undefined }).toEqual({
        path,
        status: reply.status,
        described: true,
      });
      const validate = ajv.compile(media?.schema as object);
      expect({ path, errors: validate(reply.body) ? null : validate.errors }).toEqual({
        path,
        errors: null,
      });
    };
    await check('GET', '/v1/providers', '/v1/providers?specialty=cardiology&perPage=3', {
      key: READER,
    });
    await check('GET', '/v1/providers/{id}', '/v1/providers/PRV0000000001', { key: READER });
    await check(
      'GET',
      '/v1/availability',
      `/v1/availability?startDate=${today}&endDate=${inAWeek}&perPage=5`,
      { key: READER },
    );
    await check('GET', '/v1/availability', '/v1/availability?startDate=tomorrow', {
      key: READER,
    });
    const [slot] = await freeSlots();
    if (slot === undefined) throw new Error('no free slot');
    await check('POST', '/v1/bookings', '/v1/bookings', {
      key: BOOKER,
      headers: { 'idempotency-key': 'openapi-check' },
      body: { ...slot, patient },
    });
    await check('POST', '/v1/bookings', '/v1/bookings', { key: READER, body: {} });
  });

  it('keeps patient data out of the logs and, once booked, out of the state store', async () => {
    const logged = JSON.stringify(logger.lines);
    expect(logged).not.toContain('Rivera');
    expect(logged).not.toContain('1980-04-02');
    expect(logged).toContain('api request');
    await app.bookings.flush();
    const stateFile = await readFile(join(workspace.dir, 'state.sqlite'));
    const wal = await readFile(join(workspace.dir, 'state.sqlite-wal')).catch(() =>
      Buffer.alloc(0),
    );
    // Pending bookings keep the patient until settled; every booking here is settled.
    const pending = JSON.stringify(await app.bookings.get('BKG00000000000000000000'));
    expect(pending).toBe(undefined);
    expect(Buffer.concat([stateFile, wal]).includes('Rivera')).toBe(false);
  });
});
