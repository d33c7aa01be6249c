import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { startSandbox, type Sandbox } from '@pmsbridge/healthconnect-sandbox';
import { createHealthConnectClient } from './create-client.js';
import { HealthConnectSource } from './healthconnect-source.js';

describe('HealthConnectSource.planShards against the sandbox', () => {
  let sandbox: Sandbox;
  let source: HealthConnectSource;

  beforeAll(async () => {
    sandbox = await startSandbox({ providers: 1_030, seed: 4 });
    source = new HealthConnectSource(
      createHealthConnectClient({
        baseUrl: sandbox.baseUrl,
        tokenUrl: sandbox.tokenUrl,
        clientId: sandbox.clientId,
        clientSecret: sandbox.clientSecret,
      }),
    );
  });

  afterAll(async () => {
    await source.stop();
    await sandbox.close();
  });

  /** The ids of one shard, read as a worker reads it: after `afterId`, through `throughId`. */
  async function idsOf(shard: { afterId?: string; throughId?: string }): Promise<string[]> {
    const ids: string[] = [];
    for await (const page of source.listProviders({ startAfterId: shard.afterId })) {
      for (const provider of page.providers) {
        if (shard.throughId !== undefined && provider.id > shard.throughId) return ids;
        ids.push(provider.id);
      }
    }
    return ids;
  }

  it('splits the listing into contiguous shards of whole pages that cover it once', async () => {
    const before = sandbox.requests().length;
    const shards = await source.planShards(4);
    // The first page, then the last page of each shard but the last.
    const listings = sandbox
      .requests()
      .slice(before)
      .filter((r) => r.method === 'GET' && r.path.endsWith('/providers'));
    expect(listings).toHaveLength(4);
    expect(shards).toHaveLength(4);
    expect(shards[0]?.afterId).toBeUndefined();
    expect(shards[3]?.throughId).toBeUndefined();
    for (let i = 1; i < shards.length; i += 1) {
      expect(shards[i]?.afterId).toBe(shards[i - 1]?.throughId);
    }
    const all: string[] = [];
    for await (const page of source.listProviders()) all.push(...page.providers.map((p) => p.id));
    const sharded = (await Promise.all(shards.map((shard) => idsOf(shard)))).flat();
    expect(sharded).toEqual(all);
    const sizes = await Promise.all(shards.map(async (shard) => (await idsOf(shard)).length));
    expect(Math.max(...sizes) - Math.min(...sizes)).toBeLessThanOrEqual(200);
  });

  it('makes no more shards than pages, and one for a single page', async () => {
    expect(await source.planShards(100)).toHaveLength(11);
    const small = await startSandbox({ providers: 40, seed: 4 });
    const one = new HealthConnectSource(
      createHealthConnectClient({
        baseUrl: small.baseUrl,
        tokenUrl: small.tokenUrl,
        clientId: small.clientId,
        clientSecret: small.clientSecret,
      }),
    );
    try {
      expect(await one.planShards(5)).toEqual([{}]);
    } finally {
      await one.stop();
      await small.close();
    }
  });
});
