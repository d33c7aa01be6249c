import { describe, expect, it } from '@jest/globals';
import { MemoryStateStore, silentLogger, systemClock, type Sink } from '@pmsbridge/core';
import { createPlugin } from '@pmsbridge/core/testing';
import { BulkPublishSink } from './bulk-publish-sink.js';
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

describe('FHIR sink plugin', () => {
  it('creates a FhirServerSink for target server with defaults applied', async () => {
    const sink = await sinkFrom({
      target: 'server',
      baseUrl: 'http://127.0.0.1:1/fhir',
      auth: { type: 'bearer', token: 't' },
    });
    expect(sink).toBeInstanceOf(FhirServerSink);
    expect(sink.name).toBe('fhir');
  });

  it('creates a BulkPublishSink for target bulk', async () => {
    expect(
      await sinkFrom({ target: 'bulk', outputDir: 'out', baseUrl: 'https://pub.example/ssl' }),
    ).toBeInstanceOf(BulkPublishSink);
  });

  it('defaults the schedule actor per target: Location only in a bulk publication', () => {
    const bulk = plugin.options.parse({
      target: 'bulk',
      outputDir: 'out',
      baseUrl: 'https://pub.example',
    });
    expect(bulk.scheduleActor).toBe('location');
    const server = plugin.options.parse({
      target: 'server',
      baseUrl: 'https://fhir.example',
    });
    expect(server.scheduleActor).toBe('practitioner-role');
  });

  it('requires an absolute http(s) baseUrl for a bulk publication', () => {
    for (const baseUrl of [undefined, 'pub/ssl', 'ftp://pub.example']) {
      const result = plugin.options.safeParse({ target: 'bulk', outputDir: 'out', baseUrl });
      expect(result.success).toBe(false);
      expect(result.error?.issues[0]?.path).toEqual(['baseUrl']);
    }
  });

  it('rejects PractitionerRole schedule actors without published PractitionerRoles', () => {
    const result = plugin.options.safeParse({
      target: 'bulk',
      outputDir: 'out',
      baseUrl: 'https://pub.example',
      includePractitionerRoles: false,
      scheduleActor: 'practitioner-role',
    });
    expect(result.success).toBe(false);
    expect(result.error?.issues[0]?.path).toEqual(['scheduleActor']);
    expect(result.error?.issues[0]?.message).toMatch(/includePractitionerRoles: true/);
  });

  it('puts a circuit breaker on the FHIR server target by default, which options can tune or turn off', async () => {
    const defaults = plugin.options.parse({
      target: 'server',
      baseUrl: 'https://fhir.example',
    });
    expect(defaults.target === 'server' && defaults.circuitBreaker).toEqual({
      enabled: true,
      failureThreshold: 3,
      resetMs: 30_000,
    });
    const off = {
      target: 'server',
      baseUrl: 'https://fhir.example',
      circuitBreaker: { enabled: false },
    };
    expect(await sinkFrom(off)).toBeInstanceOf(FhirServerSink);
    expect(plugin.options.safeParse({ ...off, circuitBreaker: { threshold: 2 } }).success).toBe(
      false,
    );
  });

  it('rejects options of the wrong shape', () => {
    expect(plugin.options.safeParse({ target: 'server' }).success).toBe(false);
    expect(
      plugin.options.safeParse({ target: 'bulk', outputDir: 'x', splitBy: 'county' }).success,
    ).toBe(false);
  });
});
