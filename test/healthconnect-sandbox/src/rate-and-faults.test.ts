import { afterEach, describe, expect, it } from '@jest/globals';
import { call, getWith, tokenFor } from './api-test-client.js';
import { parseFaultSpec } from './fault-plan.js';
import { startSandbox, type Sandbox } from './sandbox.js';

const running: Sandbox[] = [];
async function start(options: Parameters<typeof startSandbox>[0]): Promise<Sandbox> {
  const sandbox = await startSandbox(options);
  running.push(sandbox);
  return sandbox;
}
afterEach(async () => {
  await Promise.all(running.splice(0).map((s) => s.close()));
});

describe('rate limiting', () => {
  it('answers 429 rate_limited with Retry-After once the bucket is empty, and refills with time', async () => {
    let clock = new Date('2026-06-01T12:00:00Z');
    const sandbox = await start({
      providers: 10,
      rateLimit: { requestsPerSecond: 1, burst: 2 },
      now: () => clock,
    });
    const token = await tokenFor(sandbox);
    const path = '/provider/v2/providers/PRV0000000001';
    const first = await getWith(sandbox, token, path);
    expect(first.status).toBe(200);
    expect(first.headers['x-ratelimit-limit']).toBe('2');
    expect(first.headers['x-ratelimit-remaining']).toBe('1');
    expect((await getWith(sandbox, token, path)).headers['x-ratelimit-remaining']).toBe('0');
    const limited = await getWith(sandbox, token, path);
    expect(limited.status).toBe(429);
    expect(limited.headers['retry-after']).toBe('1');
    expect(limited.headers['x-ratelimit-remaining']).toBe('0');
    expect(Number(limited.headers['x-ratelimit-reset'])).toBeGreaterThan(clock.getTime() / 1000);
    expect(limited.body).toMatchObject({ error: { code: 'rate_limited' } });
    clock = new Date(clock.getTime() + 1000);
    expect((await getWith(sandbox, token, path)).status).toBe(200);
  });
});

describe('fault injection', () => {
  it('parses the CLI grammar', () => {
    expect(
      parseFaultSpec(
        '*:500=0.1,429=0.05,reset=0.02;schedule:slow=200@0.5,malformed=0.1;invalidRecords=0.01;seed=7',
      ),
    ).toEqual({
      seed: 7,
      invalidRecords: 0.01,
      routes: {
        '*': { error500: 0.1, rateLimit429: 0.05, reset: 0.02 },
        schedule: { slowMs: 200, slowRate: 0.5, malformedJson: 0.1 },
      },
    });
    expect(() => parseFaultSpec('*:500=2')).toThrow(/0..1/);
    expect(() => parseFaultSpec('nowhere:500=0.1')).toThrow(/route/);
  });

  /** Status codes (or "reset"/"malformed"/"truncated") of 60 provider requests. */
  const observe = async (sandbox: Sandbox): Promise<string[]> => {
    const token = await tokenFor(sandbox);
    const outcomes: string[] = [];
    for (let i = 0; i < 60; i++) {
      try {
        const response = await getWith(sandbox, token, '/provider/v2/providers?per_page=5');
        if (response.status === 200 && response.body === undefined) outcomes.push('malformed');
        else outcomes.push(String(response.status));
        if (response.status === 429 || response.status === 503)
          expect(response.headers['retry-after']).toBe('1');
        if (response.status >= 500)
          expect(response.body).toMatchObject({ error: { request_id: expect.any(String) } });
      } catch (error) {
        outcomes.push(
          error instanceof Error && /closed|reset|terminated|socket/i.test(error.message)
            ? 'dropped'
            : 'error',
        );
      }
    }
    return outcomes;
  };
  const spec =
    'providers:500=0.15,502=0.05,503=0.1,429=0.1,reset=0.05,malformed=0.05,truncated=0.05;seed=99';

  it('draws the same faults for the same seed and request sequence', async () => {
    const a = await observe(await start({ providers: 10, faults: spec }));
    const b = await observe(await start({ providers: 10, faults: spec }));
    expect(a).toEqual(b);
    for (const kind of ['200', '500', '502', '503', '429', 'dropped', 'malformed'])
      expect(a).toContain(kind);
    const other = await observe(
      await start({ providers: 10, faults: spec.replace('seed=99', 'seed=100') }),
    );
    expect(other).not.toEqual(a);
  });

  it('corrupts exactly the providers corruptedProviderIds() names, on every request', async () => {
    const sandbox = await start({ providers: 300, faults: { seed: 5, invalidRecords: 0.05 } });
    const corrupted = sandbox.admin.corruptedProviderIds();
    expect(corrupted.length).toBeGreaterThan(3);
    expect(corrupted).not.toContain('PRV0000000001');
    const token = await tokenFor(sandbox);
    const seen = async () => {
      const bad: string[] = [];
      for (let page = 1; page <= 3; page++) {
        const response = await getWith(
          sandbox,
          token,
          `/provider/v2/providers?per_page=100&page=${page}`,
        );
        for (const p of (response.body as { providers: Array<{ id: string; npi: string }> })
          .providers)
          if (p.npi === 'NOT-AN-NPI') bad.push(p.id);
      }
      return bad;
    };
    expect(await seen()).toEqual(corrupted);
    expect(await seen()).toEqual(corrupted);
    const one = await getWith(sandbox, token, `/provider/v2/providers/${corrupted[0] ?? ''}`);
    expect(one.body).toMatchObject({ npi: 'NOT-AN-NPI' });
    const admin = await call(`${sandbox.url}/_sandbox/corrupted-providers`);
    expect(admin.body).toEqual({ provider_ids: corrupted });
  });
});
