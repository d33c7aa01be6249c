import { describe, expect, it } from '@jest/globals';
import { silentLogger, systemClock, type Sink } from '@pmsbridge/core';
import { createPlugin } from '@pmsbridge/core/testing';
import { BulkPublishSink } from './bulk-publish-sink.js';
import plugin from './index.js';

function sinkFrom(raw: unknown): Promise<Sink> {
  return createPlugin(plugin, {
    options: raw,
    services: { logger: silentLogger, clock: systemClock },
    name: 'ssl',
    baseDir: '/srv/pmsbridge',
  });
}

describe('SMART Scheduling Links publication plugin', () => {
  it('creates a BulkPublishSink, with Location as the only schedule actor by default', async () => {
    expect(await sinkFrom({ outputDir: 'out', baseUrl: 'https://pub.example/ssl' })).toBeInstanceOf(
      BulkPublishSink,
    );
    const options = plugin.options.parse({ outputDir: 'out', baseUrl: 'https://pub.example' });
    expect(options.scheduleActor).toBe('location');
  });

  it('requires an absolute http(s) baseUrl', () => {
    for (const baseUrl of [undefined, 'pub/ssl', 'ftp://pub.example']) {
      const result = plugin.options.safeParse({ outputDir: 'out', baseUrl });
      expect(result.success).toBe(false);
      expect(result.error?.issues[0]?.path).toEqual(['baseUrl']);
    }
  });

  it('rejects PractitionerRole schedule actors without published PractitionerRoles', () => {
    const result = plugin.options.safeParse({
      outputDir: 'out',
      baseUrl: 'https://pub.example',
      includePractitionerRoles: false,
      scheduleActor: 'practitioner-role',
    });
    expect(result.success).toBe(false);
    expect(result.error?.issues[0]?.path).toEqual(['scheduleActor']);
    expect(result.error?.issues[0]?.message).toMatch(/includePractitionerRoles: true/);
  });

  it('rejects options of the wrong shape', () => {
    expect(
      plugin.options.safeParse({ outputDir: 'x', baseUrl: 'https://p.example', splitBy: 'county' })
        .success,
    ).toBe(false);
    expect(
      plugin.options.safeParse({ target: 'bulk', outputDir: 'x', baseUrl: 'https://p.example' })
        .success,
    ).toBe(false);
  });
});
