import { describe, expect, it } from '@jest/globals';
import { Container } from 'inversify';
import {
  MemoryStateStore,
  ClockToken,
  LoggerToken,
  SinkToken,
  StateStoreToken,
  silentLogger,
  systemClock,
  type Sink,
} from '@pmsbridge/core';
import { BulkPublishSink } from './bulk-publish-sink.js';
import { FhirServerSink } from './fhir-server-sink.js';
import plugin from './index.js';

function sinkFrom(raw: unknown): Sink {
  const options = plugin.optionsSchema.parse(raw);
  const parent = new Container();
  parent.bind(LoggerToken).toConstantValue(silentLogger);
  parent.bind(ClockToken).toConstantValue(systemClock);
  parent.bind(StateStoreToken).toConstantValue(new MemoryStateStore());
  const child = new Container({ parent });
  child.load(
    plugin.register({
      options,
      role: 'sink',
      name: 'fhir',
      entry: 'sinks[0]',
      baseDir: '/srv/pmsbridge',
    }),
  );
  return child.get<Sink>(SinkToken);
}

describe('plugin registration', () => {
  it('binds a FhirServerSink for target server with defaults applied', () => {
    const sink = sinkFrom({
      target: 'server',
      baseUrl: 'http://127.0.0.1:1/fhir',
      auth: { type: 'bearer', token: 't' },
    });
    expect(sink).toBeInstanceOf(FhirServerSink);
    expect(sink.name).toBe('fhir');
  });

  it('binds a BulkPublishSink for target bulk', () => {
    expect(
      sinkFrom({ target: 'bulk', outputDir: 'out', baseUrl: 'https://pub.example/ssl' }),
    ).toBeInstanceOf(BulkPublishSink);
  });

  it('defaults the schedule actor per target: Location only in a bulk publication', () => {
    const bulk = plugin.optionsSchema.parse({
      target: 'bulk',
      outputDir: 'out',
      baseUrl: 'https://pub.example',
    });
    expect(bulk.scheduleActor).toBe('location');
    const server = plugin.optionsSchema.parse({
      target: 'server',
      baseUrl: 'https://fhir.example',
    });
    expect(server.scheduleActor).toBe('practitioner-role');
  });

  it('requires an absolute http(s) baseUrl for a bulk publication', () => {
    for (const baseUrl of [undefined, 'pub/ssl', 'ftp://pub.example']) {
      const result = plugin.optionsSchema.safeParse({ target: 'bulk', outputDir: 'out', baseUrl });
      expect(result.success).toBe(false);
      expect(result.error?.issues[0]?.path).toEqual(['baseUrl']);
    }
  });

  it('rejects PractitionerRole schedule actors without published PractitionerRoles', () => {
    const result = plugin.optionsSchema.safeParse({
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

  it('puts a circuit breaker on the FHIR server target by default, which options can tune or turn off', () => {
    const defaults = plugin.optionsSchema.parse({
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
    expect(sinkFrom(off)).toBeInstanceOf(FhirServerSink);
    expect(
      plugin.optionsSchema.safeParse({ ...off, circuitBreaker: { threshold: 2 } }).success,
    ).toBe(false);
  });

  it('rejects options of the wrong shape', () => {
    expect(plugin.optionsSchema.safeParse({ target: 'server' }).success).toBe(false);
    expect(
      plugin.optionsSchema.safeParse({ target: 'bulk', outputDir: 'x', splitBy: 'county' }).success,
    ).toBe(false);
  });
});
