import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type {
  Appointment,
  Bundle,
  CapabilityStatement,
  OperationOutcome,
  Organization,
  Practitioner,
  PractitionerRole,
} from '@medplum/fhirtypes';
import { request } from 'undici';
import { startFhirServer, type FhirServer } from './index.js';

interface FhirResponse<T> {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: T;
}

async function call<T>(
  server: FhirServer,
  method: 'GET' | 'POST' | 'PUT' | 'DELETE' | 'PATCH',
  path: string,
  options: { body?: unknown; rawBody?: string; headers?: Record<string, string> } = {},
): Promise<FhirResponse<T>> {
  const payload =
    options.rawBody ?? (options.body === undefined ? undefined : JSON.stringify(options.body));
  const response = await request(`${server.baseUrl}${path}`, {
    method,
    headers: {
      accept: 'application/fhir+json',
      ...(payload === undefined ? {} : { 'content-type': 'application/fhir+json' }),
      ...options.headers,
    },
    body: payload,
    signal: AbortSignal.timeout(10_000),
  });
  return {
    status: response.statusCode,
    headers: response.headers,
    body: (await response.body.json()) as T,
  };
}

const NPI = 'http://hl7.org/fhir/sid/us-npi';

function practitioner(npi: string, family: string): Practitioner {
  return {
    resourceType: 'Practitioner',
    identifier: [{ system: NPI, value: npi }],
    name: [{ family, given: ['Test'] }],
  };
}

describe('startFhirServer', () => {
  let server: FhirServer;

  beforeAll(async () => {
    server = await startFhirServer();
  });

  afterAll(async () => {
    await server.close();
  });

  it('serves a CapabilityStatement that advertises the pmsbridge resource types', async () => {
    expect(server.baseUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/fhir\/R4$/);
    const response = await call<CapabilityStatement>(server, 'GET', '/metadata');

    expect(response.status).toBe(200);
    expect(response.headers['content-type']).toBe('application/fhir+json; charset=utf-8');
    const rest = response.body.rest?.[0];
    expect(rest?.interaction?.map((i) => i.code)).toEqual(
      expect.arrayContaining(['transaction', 'batch']),
    );
    expect(rest?.resource?.map((r) => r.type)).toEqual([
      'Practitioner',
      'PractitionerRole',
      'Location',
      'Schedule',
      'Slot',
      'Organization',
      'Appointment',
    ]);
    const practitionerEntry = rest?.resource?.[0];
    expect(practitionerEntry?.conditionalUpdate).toBe(true);
    expect(practitionerEntry?.interaction?.map((i) => i.code)).toEqual(
      expect.arrayContaining(['read', 'search-type', 'create', 'update', 'delete']),
    );
    expect(practitionerEntry?.searchParam?.map((p) => p.name)).toContain('identifier');
  });

  it('creates a resource with 201, Location and ETag, then reads and vreads it', async () => {
    const created = await call<Practitioner>(server, 'POST', '/Practitioner', {
      body: practitioner('1000000001', 'Create'),
    });

    expect(created.status).toBe(201);
    const { id, meta } = created.body;
    expect(id).toBeDefined();
    expect(created.headers['location']).toBe(
      `${server.baseUrl}/Practitioner/${id}/_history/${meta?.versionId}`,
    );
    expect(created.headers['etag']).toBe(`W/"${meta?.versionId}"`);

    const read = await call<Practitioner>(server, 'GET', `/Practitioner/${id}`);
    expect(read.status).toBe(200);
    expect(read.body.name?.[0]?.family).toBe('Create');

    const vread = await call<Practitioner>(
      server,
      'GET',
      `/Practitioner/${id}/_history/${meta?.versionId}`,
    );
    expect(vread.status).toBe(200);
    expect(vread.body.id).toBe(id);
  });

  it('updates by id, and creates on update when the id is new', async () => {
    const body = { ...practitioner('1000000002', 'Put'), id: 'client-chosen-id' };
    const first = await call<Practitioner>(server, 'PUT', '/Practitioner/client-chosen-id', {
      body,
    });
    const second = await call<Practitioner>(server, 'PUT', '/Practitioner/client-chosen-id', {
      body: { ...body, name: [{ family: 'Renamed' }] },
    });

    expect(first.status).toBe(200);
    expect(second.status).toBe(200);
    expect(second.body.meta?.versionId).not.toBe(first.body.meta?.versionId);
    const read = await call<Practitioner>(server, 'GET', '/Practitioner/client-chosen-id');
    expect(read.body.name?.[0]?.family).toBe('Renamed');
  });

  it('conditional update creates once, then updates the same resource', async () => {
    const path = `/Practitioner?identifier=${encodeURIComponent(`${NPI}|1000000003`)}`;
    const first = await call<Practitioner>(server, 'PUT', path, {
      body: practitioner('1000000003', 'Before'),
    });
    const second = await call<Practitioner>(server, 'PUT', path, {
      body: practitioner('1000000003', 'After'),
    });

    expect(first.status).toBe(201);
    expect(second.status).toBe(200);
    expect(second.body.id).toBe(first.body.id);
    const search = await call<Bundle<Practitioner>>(server, 'GET', path);
    expect(search.body.total).toBe(1);
    expect(search.body.entry).toHaveLength(1);
    expect(search.body.entry?.[0]?.resource?.name?.[0]?.family).toBe('After');
    expect(search.body.entry?.[0]?.fullUrl).toBe(`${server.baseUrl}/Practitioner/${first.body.id}`);
  });

  it('answers 412 when a conditional update matches more than one resource', async () => {
    await call(server, 'POST', '/Practitioner', { body: practitioner('1000000004', 'Twin') });
    await call(server, 'POST', '/Practitioner', { body: practitioner('1000000004', 'Twin') });

    const response = await call<OperationOutcome>(
      server,
      'PUT',
      `/Practitioner?identifier=${encodeURIComponent(`${NPI}|1000000004`)}`,
      { body: practitioner('1000000004', 'Twin') },
    );

    expect(response.status).toBe(412);
    expect(response.body.resourceType).toBe('OperationOutcome');
  });

  it('counts matches with _summary=count and pages with _count and a next link', async () => {
    for (const npi of ['2000000001', '2000000002', '2000000003']) {
      await call(server, 'POST', '/Practitioner', { body: practitioner(npi, 'Paged') });
    }

    const count = await call<Bundle>(server, 'GET', '/Practitioner?family=Paged&_summary=count');
    expect(count.body.total).toBe(3);
    expect(count.body.entry).toBeUndefined();

    const page = await call<Bundle>(server, 'GET', '/Practitioner?family=Paged&_count=2');
    expect(page.body.entry).toHaveLength(2);
    const next = page.body.link?.find((link) => link.relation === 'next')?.url;
    expect(next).toContain('_offset=2');
    const rest = await call<Bundle>(server, 'GET', (next ?? '').slice(server.baseUrl.length));
    expect(rest.body.entry).toHaveLength(1);
    expect(rest.body.link?.some((link) => link.relation === 'next')).toBe(false);
  });

  it('lists history newest first on every read', async () => {
    const body = { ...practitioner('1000000010', 'V1'), id: 'history-id' };
    await call(server, 'PUT', '/Practitioner/history-id', { body });
    await call(server, 'PUT', '/Practitioner/history-id', {
      body: { ...body, name: [{ family: 'V2' }] },
    });

    for (let read = 0; read < 2; read += 1) {
      const history = await call<Bundle<Practitioner>>(
        server,
        'GET',
        '/Practitioner/history-id/_history',
      );
      expect(history.body.entry?.map((entry) => entry.resource?.name?.[0]?.family)).toEqual([
        'V2',
        'V1',
      ]);
    }
  });

  it('patches with JSON Patch and creates conditionally with If-None-Exist', async () => {
    const ifNoneExist = { 'if-none-exist': `identifier=${NPI}|1000000011` };
    const first = await call<Practitioner>(server, 'POST', '/Practitioner', {
      body: practitioner('1000000011', 'Once'),
      headers: ifNoneExist,
    });
    const again = await call<Practitioner>(server, 'POST', '/Practitioner', {
      body: practitioner('1000000011', 'Once'),
      headers: ifNoneExist,
    });
    const patched = await call<Practitioner>(server, 'PATCH', `/Practitioner/${first.body.id}`, {
      rawBody: JSON.stringify([{ op: 'add', path: '/active', value: false }]),
      headers: { 'content-type': 'application/json-patch+json' },
    });

    expect(first.status).toBe(201);
    expect(again.status).toBe(200);
    expect(again.body.id).toBe(first.body.id);
    expect(patched.status).toBe(200);
    expect(patched.body.active).toBe(false);
  });

  it('keeps one active Appointment per Slot: 409 for a second, free again once cancelled', async () => {
    const system = 'urn:example:booking';
    const appointment = (value: string, status: Appointment['status'] = 'booked'): Appointment => ({
      resourceType: 'Appointment',
      status,
      identifier: [{ system, value }],
      slot: [{ reference: 'Slot/S-42' }],
      start: '2026-03-09T09:00:00-05:00',
      end: '2026-03-09T09:30:00-05:00',
      participant: [{ actor: { display: 'A patient' }, status: 'accepted' }],
    });
    const create = (value: string) =>
      call<Appointment>(server, 'POST', '/Appointment', {
        body: appointment(value),
        headers: { 'if-none-exist': `identifier=${system}|${value}` },
      });
    const first = await create('B1');
    const repeat = await create('B1');
    const second = await create('B2');
    expect([first.status, repeat.status, second.status]).toEqual([201, 200, 409]);
    expect(repeat.body.id).toBe(first.body.id);
    expect(JSON.stringify(second.body)).toContain('Slot/S-42 is already booked');

    const cancelled = await call<Appointment>(server, 'PUT', `/Appointment/${first.body.id}`, {
      body: { ...appointment('B1', 'cancelled'), id: first.body.id },
    });
    expect(cancelled.status).toBe(200);
    expect((await create('B2')).status).toBe(201);
  });

  it('deletes conditionally by identifier', async () => {
    await call(server, 'POST', '/Practitioner', { body: practitioner('1000000012', 'Gone') });
    const query = `identifier=${encodeURIComponent(`${NPI}|1000000012`)}`;

    const deleted = await call<OperationOutcome>(server, 'DELETE', `/Practitioner?${query}`);
    const search = await call<Bundle>(server, 'GET', `/Practitioner?${query}&_summary=count`);

    expect(deleted.status).toBe(200);
    expect(search.body.total).toBe(0);
  });

  it('deletes a resource so that reading it answers 404', async () => {
    const created = await call<Practitioner>(server, 'POST', '/Practitioner', {
      body: practitioner('1000000005', 'Deleted'),
    });
    const deleted = await call<OperationOutcome>(
      server,
      'DELETE',
      `/Practitioner/${created.body.id}`,
    );
    const read = await call<OperationOutcome>(server, 'GET', `/Practitioner/${created.body.id}`);

    expect(deleted.status).toBe(200);
    expect(read.status).toBe(404);
    expect(read.body.resourceType).toBe('OperationOutcome');
  });

  it('resolves urn:uuid references inside a transaction bundle', async () => {
    const practitionerUrn = 'urn:uuid:7d1f2a34-5b6c-4d7e-8f90-a1b2c3d4e5f6';
    const transaction: Bundle = {
      resourceType: 'Bundle',
      type: 'transaction',
      entry: [
        {
          fullUrl: practitionerUrn,
          resource: practitioner('1000000006', 'Tx'),
          request: { method: 'POST', url: 'Practitioner' },
        },
        {
          resource: {
            resourceType: 'PractitionerRole',
            active: true,
            practitioner: { reference: practitionerUrn },
          },
          request: { method: 'POST', url: 'PractitionerRole' },
        },
      ],
    };

    const response = await call<Bundle>(server, 'POST', '', { body: transaction });

    expect(response.status).toBe(200);
    expect(response.body.type).toBe('transaction-response');
    expect(response.body.entry?.map((entry) => entry.response?.status)).toEqual(['201', '201']);
    const practitionerId = response.body.entry?.[0]?.resource?.id;
    const roleId = response.body.entry?.[1]?.resource?.id;
    const role = await call<PractitionerRole>(server, 'GET', `/PractitionerRole/${roleId}`);
    expect(role.body.practitioner?.reference).toBe(`Practitioner/${practitionerId}`);
  });

  it('accepts transactions larger than medplum production limits', async () => {
    const entries = Array.from({ length: 60 }, (_, index) => {
      const npi = String(5000000000 + index);
      return {
        resource: practitioner(npi, 'Bulk'),
        request: { method: 'PUT' as const, url: `Practitioner?identifier=${NPI}|${npi}` },
      };
    });

    const response = await call<Bundle>(server, 'POST', '', {
      body: { resourceType: 'Bundle', type: 'transaction', entry: entries },
    });

    expect(response.status).toBe(200);
    expect(response.body.type).toBe('transaction-response');
    expect(response.body.entry?.every((entry) => entry.response?.status === '201')).toBe(true);
    const count = await call<Bundle>(server, 'GET', '/Practitioner?family=Bulk&_summary=count');
    expect(count.body.total).toBe(60);
  });

  it('rolls a transaction back entirely when one entry is invalid', async () => {
    const organization = await call<Organization>(server, 'PUT', '/Organization/rollback-org', {
      body: { resourceType: 'Organization', id: 'rollback-org', name: 'Original' },
    });
    // Creates run before updates, so the invalid update comes last, after the other writes.
    const transaction: Bundle = {
      resourceType: 'Bundle',
      type: 'transaction',
      entry: [
        {
          resource: practitioner('1000000007', 'RolledBack'),
          request: { method: 'POST', url: 'Practitioner' },
        },
        {
          resource: { resourceType: 'Organization', id: 'rollback-org', name: 'Changed' },
          request: { method: 'PUT', url: 'Organization/rollback-org' },
        },
        {
          resource: { resourceType: 'Location', id: 'rollback-loc', name: 42 } as never,
          request: { method: 'PUT', url: 'Location/rollback-loc' },
        },
      ],
    };

    const response = await call<OperationOutcome>(server, 'POST', '', { body: transaction });

    expect(response.status).toBe(422);
    expect(response.body.issue[0]?.expression).toEqual(['Location.name']);
    const search = await call<Bundle>(
      server,
      'GET',
      `/Practitioner?identifier=${encodeURIComponent(`${NPI}|1000000007`)}`,
    );
    expect(search.body.total).toBe(0);
    const after = await call<Organization>(server, 'GET', '/Organization/rollback-org');
    expect(after.body.name).toBe('Original');
    expect(after.body.meta?.versionId).toBe(organization.body.meta?.versionId);
  });

  it('processes batch entries independently', async () => {
    const batch: Bundle = {
      resourceType: 'Bundle',
      type: 'batch',
      entry: [
        {
          resource: practitioner('1000000008', 'Batch'),
          request: { method: 'POST', url: 'Practitioner' },
        },
        { request: { method: 'GET', url: 'Practitioner/does-not-exist' } },
      ],
    };

    const response = await call<Bundle>(server, 'POST', '', { body: batch });

    expect(response.status).toBe(200);
    expect(response.body.entry?.map((entry) => entry.response?.status)).toEqual(['201', '404']);
  });

  it('rejects a resource that is not valid R4 with 422 and the failing paths', async () => {
    const response = await call<OperationOutcome>(server, 'POST', '/Practitioner', {
      body: { resourceType: 'Practitioner', active: 'yes', nickname: 'Doc' },
    });

    expect(response.status).toBe(422);
    expect(response.body.resourceType).toBe('OperationOutcome');
    expect(response.body.issue.flatMap((issue) => issue.expression ?? [])).toEqual([
      'Practitioner.active',
      'Practitioner.nickname',
    ]);
  });

  it('rejects malformed JSON with 400 and a non-JSON media type with 415', async () => {
    const malformed = await call<OperationOutcome>(server, 'POST', '/Practitioner', {
      rawBody: '{"resourceType": "Practitioner",',
    });
    const xml = await call<OperationOutcome>(server, 'POST', '/Practitioner', {
      rawBody: '<Practitioner/>',
      headers: { 'content-type': 'application/fhir+xml' },
    });

    expect(malformed.status).toBe(400);
    expect(malformed.body.resourceType).toBe('OperationOutcome');
    expect(xml.status).toBe(415);
  });

  it('rejects a body whose type does not match the URL with 400', async () => {
    const response = await call<OperationOutcome>(server, 'POST', '/Location', {
      body: practitioner('1000000009', 'Mismatch'),
    });

    expect(response.status).toBe(400);
    expect(response.body.resourceType).toBe('OperationOutcome');
  });

  it('answers 405 to a method FHIR does not use', async () => {
    const response = await request(`${server.baseUrl}/Practitioner`, {
      method: 'OPTIONS',
      signal: AbortSignal.timeout(10_000),
    });
    const body = (await response.body.json()) as OperationOutcome;

    expect(response.statusCode).toBe(405);
    expect(body.resourceType).toBe('OperationOutcome');
  });

  it('answers 404 outside the FHIR base path', async () => {
    const response = await request(`${server.baseUrl.replace('/fhir/R4', '')}/other`, {
      signal: AbortSignal.timeout(10_000),
    });
    await response.body.dump();

    expect(response.statusCode).toBe(404);
  });
});

describe('request stats', () => {
  let server: FhirServer;

  beforeAll(async () => {
    server = await startFhirServer();
  });

  afterAll(async () => {
    await server.close();
  });

  it('counts requests by method and interaction until reset', async () => {
    await call(server, 'PUT', `/Practitioner?identifier=${NPI}|3000000001`, {
      body: practitioner('3000000001', 'Stats'),
    });
    await call(server, 'GET', `/Practitioner?identifier=${NPI}|3000000001`);
    await call(server, 'GET', '/metadata');

    expect(server.stats()).toEqual({
      requests: 3,
      byMethod: { PUT: 1, GET: 2 },
      byInteraction: { update: 1, 'search-type': 1, capabilities: 1 },
    });

    server.resetStats();
    expect(server.stats()).toEqual({ requests: 0, byMethod: {}, byInteraction: {} });
  });

  it('clear() empties the store', async () => {
    await call(server, 'POST', '/Practitioner', { body: practitioner('3000000002', 'Cleared') });
    server.clear();

    const search = await call<Bundle>(server, 'GET', '/Practitioner?_summary=count');
    expect(search.body.total).toBe(0);
  });
});

describe('bearer token', () => {
  let server: FhirServer;

  beforeAll(async () => {
    server = await startFhirServer({ bearerToken: 's3cret-token' });
  });

  afterAll(async () => {
    await server.close();
  });

  it('answers 401 without a token or with a wrong one', async () => {
    const missing = await call<OperationOutcome>(server, 'GET', '/Practitioner');
    const wrong = await call<OperationOutcome>(server, 'GET', '/Practitioner', {
      headers: { authorization: 'Bearer guessed' },
    });

    expect(missing.status).toBe(401);
    expect(missing.headers['www-authenticate']).toContain('Bearer');
    expect(missing.body.resourceType).toBe('OperationOutcome');
    expect(wrong.status).toBe(401);
  });

  it('serves requests that carry the token, and /metadata without one', async () => {
    const authorised = await call<Bundle>(server, 'GET', '/Practitioner', {
      headers: { authorization: 'Bearer s3cret-token' },
    });
    const metadata = await call<CapabilityStatement>(server, 'GET', '/metadata');

    expect(authorised.status).toBe(200);
    expect(authorised.body.type).toBe('searchset');
    expect(metadata.status).toBe(200);
  });
});

describe('write capabilities', () => {
  const conditionalPath = `/Practitioner?identifier=${encodeURIComponent(`${NPI}|7000000001`)}`;
  const byIdEntry = {
    resource: { ...practitioner('7000000002', 'ById'), id: 'chosen-by-client' },
    request: { method: 'PUT' as const, url: 'Practitioner/chosen-by-client' },
  };

  it('without updateCreate leaves it out of the CapabilityStatement and refuses a PUT that would create', async () => {
    const server = await startFhirServer({ updateCreate: false });
    try {
      const metadata = await call<CapabilityStatement>(server, 'GET', '/metadata');
      const declared = metadata.body.rest?.[0]?.resource?.find((r) => r.type === 'Practitioner');
      expect(declared).not.toHaveProperty('updateCreate');
      expect(declared?.conditionalUpdate).toBe(true);

      const alone = await call<OperationOutcome>(server, 'PUT', '/Practitioner/chosen-by-client', {
        body: byIdEntry.resource,
      });
      const inBundle = await call<OperationOutcome>(server, 'POST', '', {
        body: { resourceType: 'Bundle', type: 'transaction', entry: [byIdEntry] },
      });
      expect(alone.status).toBe(400);
      expect(alone.body.issue?.[0]?.details?.text).toMatch(/does not let clients assign ids/);
      expect(inBundle.status).toBe(400);

      // Conditional update still creates (with a server-assigned id), and then updates by id.
      const created = await call<Practitioner>(server, 'PUT', conditionalPath, {
        body: practitioner('7000000001', 'Cond'),
      });
      expect(created.status).toBe(201);
      const id = created.body.id ?? '';
      const updated = await call<Practitioner>(server, 'PUT', `/Practitioner/${id}`, {
        body: { ...practitioner('7000000001', 'Again'), id },
      });
      expect(updated.status).toBe(200);
    } finally {
      await server.close();
    }
  });

  it('with conditionalUpdate false declares it and refuses conditional updates, alone or in a bundle', async () => {
    const server = await startFhirServer({ conditionalUpdate: false });
    try {
      const metadata = await call<CapabilityStatement>(server, 'GET', '/metadata');
      const declared = metadata.body.rest?.[0]?.resource?.find((r) => r.type === 'Slot');
      expect(declared?.conditionalUpdate).toBe(false);
      expect(declared?.updateCreate).toBe(true);

      const alone = await call<OperationOutcome>(server, 'PUT', conditionalPath, {
        body: practitioner('7000000001', 'Cond'),
      });
      const inBundle = await call<OperationOutcome>(server, 'POST', '', {
        body: {
          resourceType: 'Bundle',
          type: 'transaction',
          entry: [
            {
              resource: practitioner('7000000001', 'Cond'),
              request: { method: 'PUT', url: conditionalPath.slice(1) },
            },
          ],
        },
      });
      expect(alone.status).toBe(400);
      expect(inBundle.status).toBe(400);
      const byId = await call(server, 'PUT', `/${byIdEntry.request.url}`, {
        body: byIdEntry.resource,
      });
      expect(byId.status).toBe(200);
    } finally {
      await server.close();
    }
  });
});

describe('simulated outages', () => {
  let server: FhirServer;

  beforeAll(async () => {
    server = await startFhirServer();
  });

  afterAll(async () => {
    await server.close();
  });

  it('answers every request with the fault status after the first `after` ones, until cleared', async () => {
    server.setFault({ status: 503, retryAfterSeconds: 2, after: 1 });
    const passed = await call<Bundle>(server, 'GET', '/Practitioner');
    const failed = await call<OperationOutcome>(server, 'GET', '/Practitioner');
    const metadata = await call<OperationOutcome>(server, 'GET', '/metadata');
    server.setFault(undefined);
    const back = await call<Bundle>(server, 'GET', '/Practitioner');

    expect(passed.status).toBe(200);
    expect(failed.status).toBe(503);
    expect(failed.headers['retry-after']).toBe('2');
    expect(failed.body.resourceType).toBe('OperationOutcome');
    expect(metadata.status).toBe(503);
    expect(back.status).toBe(200);
  });

  it('resets connections while a reset fault is on', async () => {
    server.setFault({ reset: true });
    await expect(call(server, 'GET', '/metadata')).rejects.toThrow();
    server.setFault(undefined);
    expect((await call(server, 'GET', '/metadata')).status).toBe(200);
  });
});

describe('server lifecycle', () => {
  it('closes when its signal aborts', async () => {
    const controller = new AbortController();
    const server = await startFhirServer({ signal: controller.signal });
    const closed = server.close();
    controller.abort();
    await closed;

    await expect(
      request(`${server.baseUrl}/metadata`, { signal: AbortSignal.timeout(10_000) }),
    ).rejects.toThrow();
  });

  it('gives each server its own store', async () => {
    const [first, second] = await Promise.all([startFhirServer(), startFhirServer()]);
    try {
      await call(first, 'POST', '/Practitioner', { body: practitioner('4000000001', 'Own') });
      const inSecond = await call<Bundle>(second, 'GET', '/Practitioner?_summary=count');
      expect(inSecond.body.total).toBe(0);
    } finally {
      await Promise.all([first.close(), second.close()]);
    }
  });
});
