import { describe, expect, it, jest } from '@jest/globals';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Metrics, RemoteError, silentLogger } from '@pmsbridge/core';
import { FhirTransport, isRecordRejection } from './fhir-transport.js';
import { FhirServerError } from './operation-outcome.js';

type OperationOutcomeModule = typeof import('./operation-outcome.js');

/** The module (and the core it imports) loaded a second time, as a bundled copy would be. */
async function secondCopy(): Promise<OperationOutcomeModule> {
  let copy: OperationOutcomeModule | undefined;
  await jest.isolateModulesAsync(async () => {
    copy = await import('./operation-outcome.js');
  });
  if (copy === undefined) throw new Error('the second copy did not load');
  return copy;
}

const answered = (status: number) => new FhirServerError('refused', { status }, []);

describe('isRecordRejection', () => {
  it('takes a 4xx about the content for a record rejection', () => {
    expect([400, 404, 409, 412, 422].map((status) => isRecordRejection(answered(status)))).toEqual([
      true,
      true,
      true,
      true,
      true,
    ]);
  });

  it('takes credentials, rate limits, timeouts, 5xx and no answer for the server failing', () => {
    expect([401, 403, 407, 408, 429, 500, 503].map((s) => isRecordRejection(answered(s)))).toEqual([
      false,
      false,
      false,
      false,
      false,
      false,
      false,
    ]);
    const noAnswer = new RemoteError(
      'no answer',
      { system: 'fhir' },
      { code: 'PMS_NET_UNREACHABLE' },
    );
    expect(isRecordRejection(noAnswer)).toBe(false);
    expect(isRecordRejection(new Error('HTTP 400'))).toBe(false);
  });

  it('recognises a rejection thrown by another copy of the package', async () => {
    const copy = await secondCopy();
    const foreign = new copy.FhirServerError('refused', { status: 422 }, []);
    expect(foreign instanceof FhirServerError).toBe(false);
    expect(isRecordRejection(foreign)).toBe(true);
  });
});

describe('FhirTransport metrics', () => {
  it('observes each request by route template and the status the server answered', async () => {
    const server = createServer((request, response) => {
      const status =
        request.url === '/Practitioner/gone' ? 404 : request.method === 'PUT' ? 201 : 200;
      response.writeHead(status, { 'content-type': 'application/fhir+json' });
      response.end(JSON.stringify({ resourceType: 'Practitioner', id: 'p1' }));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const metrics = new Metrics({ processMetrics: false });
      const transport = new FhirTransport(
        `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
        { header: async () => undefined, invalidate: () => undefined },
        { maxRetries: 0, baseDelayMs: 1, maxDelayMs: 1 },
        silentLogger,
        undefined,
        undefined,
        undefined,
        metrics.httpObserver('fhir', 'directory'),
      );
      const signal = new AbortController().signal;
      await transport.read('Practitioner', 'p1', signal);
      await transport.update({ resourceType: 'Practitioner', id: 'p1' }, signal);
      await expect(transport.read('Practitioner', 'gone', signal)).rejects.toThrow('404');
      const text = await metrics.registry.metrics();
      const count = (method: string, status: string) =>
        `pmsbridge_http_client_request_duration_seconds_count{system="fhir",method="${method}",route="/Practitioner/{id}",status="${status}"} 1`;
      expect(text).toContain(count('GET', '200'));
      expect(text).toContain(count('PUT', '201'));
      expect(text).toContain(count('GET', '404'));
      expect(text).not.toContain('route="/Practitioner/p1"');
    } finally {
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });
});
