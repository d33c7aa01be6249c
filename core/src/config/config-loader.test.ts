import { describe, expect, it } from '@jest/globals';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError } from '../errors/errors.js';
import { loadConfig, parseConfig } from './config-loader.js';

const valid = `
pipeline: demo
source:
  use: '@pmsbridge/adapter-healthconnect'
  options:
    baseUrl: \${HC_URL}
    clientSecret: \${HC_SECRET}
sinks:
  - use: '@pmsbridge/adapter-fhir'
    options: { target: bulk, outputDir: '\${OUT:-./out}' }
`;

describe('config loading', () => {
  it('substitutes environment variables and applies defaults', () => {
    const config = parseConfig(valid, { HC_URL: 'http://127.0.0.1:4010', HC_SECRET: 's3cret' });
    expect(config.source.options).toEqual({
      baseUrl: 'http://127.0.0.1:4010',
      clientSecret: 's3cret',
    });
    expect(config.sinks[0]?.options).toEqual({ target: 'bulk', outputDir: './out' });
    expect(config.sync).toEqual({
      horizonDays: 14,
      batchSize: 100,
      batchMaxWaitMs: 1000,
      concurrency: 8,
      errorPolicy: 'dead-letter',
      changesOverlapSeconds: 300,
      deadLetterThreshold: 0.1,
    });
    expect(config.state).toEqual({ use: 'sqlite', options: {} });
  });

  it('names a missing environment variable and where it is used', () => {
    expect(() => parseConfig(valid, { HC_URL: 'http://x' })).toThrow(
      /source\.options\.clientSecret: environment variable HC_SECRET is not set/,
    );
  });

  it('reports the path of an invalid field', () => {
    const text = `
source: { use: x }
sinks:
  - use: a
  - { use: '' }
sync: { concurrency: 0 }
`;
    let caught: unknown;
    try {
      parseConfig(text, {});
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(ConfigError);
    expect((caught as Error).message).toMatch(/sinks\[1\]\.use: /);
    expect((caught as Error).message).toMatch(/sync\.concurrency: /);
  });

  it('refuses unknown keys at every level, naming each and the key meant', () => {
    const text = `
pipline: demo
state: { path: s.sqlite, paht: t.sqlite }
log: { levle: debug }
source: { use: x, option: {} }
sinks: [{ use: y, nmae: out }]
sync: { batchsize: 5 }
`;
    let caught: unknown;
    try {
      parseConfig(text, {});
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(ConfigError);
    expect((caught as Error).message).toBe(
      'Invalid config: state.paht: unknown key (did you mean path?); ' +
        'log.levle: unknown key (did you mean level?); ' +
        'source.option: unknown key (did you mean options?); ' +
        'sinks[0].nmae: unknown key (did you mean name?); ' +
        'sync.batchsize: unknown key (did you mean batchSize?); ' +
        'pipline: unknown key (did you mean pipeline?)',
    );
  });

  it('requires at least one sink', () => {
    expect(() => parseConfig('source: { use: x }\nsinks: []\n', {})).toThrow(
      /sinks: at least one sink is required/,
    );
  });

  it('reads JSON files and reports unreadable ones', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'pmsbridge-config-'));
    try {
      const path = join(dir, 'config.json');
      await writeFile(path, JSON.stringify({ source: { use: 'x' }, sinks: [{ use: 'y' }] }));
      const loaded = await loadConfig(path, {});
      expect(loaded.baseDir).toBe(dir);
      expect(loaded.config.pipeline).toBe('default');
      await writeFile(path, '{ not json');
      await expect(loadConfig(path, {})).rejects.toThrow(/not valid JSON/);
      await expect(loadConfig(join(dir, 'missing.yaml'), {})).rejects.toThrow(
        /Cannot read config file/,
      );
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('accepts numbers from environment variables in the sync settings', () => {
    const text = `source: { use: x }\nsinks: [{ use: y }]\nsync: { concurrency: '\${CONCURRENCY}' }\n`;
    expect(parseConfig(text, { CONCURRENCY: '24' }).sync.concurrency).toBe(24);
    expect(() => parseConfig(text, { CONCURRENCY: 'many' })).toThrow(/sync\.concurrency: /);
  });
});
