import { describe, expect, it } from '@jest/globals';
import { z } from 'zod';
import { closestKey, parseRejectingUnknownKeys } from './unknown-keys.js';

describe('parseRejectingUnknownKeys', () => {
  const schema = z.object({
    baseUrl: z.string(),
    clientSecret: z.string().optional(),
    retry: z.object({ maxAttempts: z.number().default(5) }).prefault({}),
    auth: z
      .discriminatedUnion('type', [
        z.object({ type: z.literal('none') }),
        z.object({ type: z.literal('bearer'), token: z.string() }),
      ])
      .default({ type: 'none' }),
    items: z.array(z.strictObject({ id: z.string() })).default([]),
    extra: z.record(z.string(), z.unknown()).default({}),
  });

  it('accepts known keys, records and defaults', () => {
    const result = parseRejectingUnknownKeys(schema, { baseUrl: 'x', extra: { anything: 1 } });
    expect(result).toEqual({
      success: true,
      data: {
        baseUrl: 'x',
        retry: { maxAttempts: 5 },
        auth: { type: 'none' },
        items: [],
        extra: { anything: 1 },
      },
    });
  });

  it('reports keys a non-strict object would strip, at any depth, with a suggestion', () => {
    const result = parseRejectingUnknownKeys(schema, {
      baseurl: 'x',
      baseUrl: 'x',
      clientSecert: 's',
      retry: { maxattempts: 2 },
      auth: { type: 'bearer', token: 't', tokne: 't' },
      colour: 'blue',
    });
    expect(result).toEqual({
      success: false,
      issues: [
        { path: ['baseurl'], message: 'unknown key (did you mean baseUrl?)' },
        { path: ['clientSecert'], message: 'unknown key (did you mean clientSecret?)' },
        { path: ['retry', 'maxattempts'], message: 'unknown key (did you mean maxAttempts?)' },
        { path: ['auth', 'tokne'], message: 'unknown key (did you mean token?)' },
        { path: ['colour'], message: 'unknown key' },
      ],
    });
  });

  it('reports a misspelt key next to the error of the key it was meant to be', () => {
    const mtls = z.object({
      mtls: z.object({ cert: z.string(), key: z.string() }).optional(),
      extra: z.record(z.string(), z.unknown()).optional(),
      loose: z.looseObject({ a: z.string() }).optional(),
    });
    const result = parseRejectingUnknownKeys(mtls, {
      mtls: { cret: 'c.pem', key: 'k.pem' },
      extra: { anything: 1 },
      loose: { a: 'x', b: 'y' },
    });
    expect(result.success).toBe(false);
    expect(
      result.success ? [] : result.issues.map(({ path, message }) => ({ path, message })),
    ).toEqual([
      { path: ['mtls', 'cert'], message: expect.stringMatching(/expected string/) },
      { path: ['mtls', 'cret'], message: 'unknown key (did you mean cert?)' },
    ]);
  });

  it('reports each unknown key of a strict object on its own path', () => {
    const result = parseRejectingUnknownKeys(schema, {
      baseUrl: 'x',
      items: [{ id: 'a', ID: 'b', x: 1 }],
    });
    expect(result).toEqual({
      success: false,
      issues: [
        { path: ['items', 0, 'ID'], message: 'unknown key (did you mean id?)' },
        { path: ['items', 0, 'x'], message: 'unknown key' },
      ],
    });
  });
});

describe('closestKey', () => {
  it('matches case and separators first, then small typos only', () => {
    expect(closestKey('batchsize', ['batchSize', 'batchMaxWaitMs'])).toBe('batchSize');
    expect(closestKey('output_dir', ['outputDir'])).toBe('outputDir');
    expect(closestKey('concurency', ['concurrency', 'horizonDays'])).toBe('concurrency');
    expect(closestKey('colour', ['concurrency', 'horizonDays'])).toBeUndefined();
  });
});
