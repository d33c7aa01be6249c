import { describe, expect, it } from '@jest/globals';
import { MemoryStateStore, silentLogger, systemClock, type Sink } from '@pmsbridge/core';
import { createPlugin } from '@pmsbridge/core/testing';
import { FhirServerSink } from './fhir-server-sink.js';
import plugin from './index.js';

function sinkFrom(raw: unknown): Promise<Sink> {
  return createPlugin(plugin, {
    options: raw,
    services: { logger: silentLogger, clock: systemClock, state: new MemoryStateStore() },
    name: 'fhir',
    baseDir: '/srv/pmsbridge',
  });
}

describe('FHIR server sink plugin', () => {
  it('creates a FhirServerSink with defaults applied', async () => {
    const sink = await sinkFrom({
      baseUrl: 'http://127.0.0.1:1/fhir',
      auth: { type: 'bearer', token: 't' },
    });
    expect(sink).toBeInstanceOf(FhirServerSink);
    expect(sink.name).toBe('fhir');
    expect(plugin.options.parse({ baseUrl: 'https://fhir.example' }).scheduleActor).toBe(
      'practitioner-role',
    );
  });

  it('still accepts target: server, and says where target: bulk went', async () => {
    expect(await sinkFrom({ target: 'server', baseUrl: 'https://fhir.example' })).toBeInstanceOf(
      FhirServerSink,
    );
    await expect(
      sinkFrom({ target: 'bulk', outputDir: 'out', baseUrl: 'https://pub.example' }),
    ).rejects.toThrow(/sinks\[0\]\.options\.target: .*@pmsbridge\/adapter-smart-scheduling-links/);
  });

  it('puts a circuit breaker on the server by default, which options can tune or turn off', async () => {
    const defaults = plugin.options.parse({ baseUrl: 'https://fhir.example' });
    expect(defaults.circuitBreaker).toEqual({
      enabled: true,
      failureThreshold: 3,
      resetMs: 30_000,
    });
    const off = { baseUrl: 'https://fhir.example', circuitBreaker: { enabled: false } };
    expect(await sinkFrom(off)).toBeInstanceOf(FhirServerSink);
    expect(plugin.options.safeParse({ ...off, circuitBreaker: { threshold: 2 } }).success).toBe(
      false,
    );
  });

  it('rejects options of the wrong shape', () => {
    expect(plugin.options.safeParse({}).success).toBe(false);
    expect(plugin.options.safeParse({ baseUrl: 'ftp://fhir.example' }).success).toBe(false);
  });
});
