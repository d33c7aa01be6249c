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
    expect(sinkFrom({ target: 'bulk', outputDir: 'out' })).toBeInstanceOf(BulkPublishSink);
  });

  it('rejects options of the wrong shape', () => {
    expect(plugin.optionsSchema.safeParse({ target: 'server' }).success).toBe(false);
    expect(
      plugin.optionsSchema.safeParse({ target: 'bulk', outputDir: 'x', splitBy: 'county' }).success,
    ).toBe(false);
  });
});
