import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { withPipelineLease, type Logger } from '@pmsbridge/core';
import { RecordingLogger } from '@pmsbridge/core/testing';
import { startPostgres, type PostgresServer } from '@pmsbridge/test-postgres';
import { PostgresStateStore } from './postgres-state-store.js';

/**
 * What only a store shared by processes can show: several Node processes on one database, each
 * with its own pool, as workers on several machines would be.
 */
const WORKER = fileURLToPath(new URL('./fixtures/state-worker.mjs', import.meta.url));

let server: PostgresServer;
let database: string;
let schemaCount = 0;

beforeAll(async () => {
  server = await startPostgres();
  database = await server.createDatabase();
});

afterAll(async () => {
  await server.stop();
});

/** A new schema, set up before the processes start so they do not all migrate it. */
async function freshStore(): Promise<{ schema: string; store: PostgresStateStore }> {
  schemaCount += 1;
  const schema = `shared_${schemaCount}`;
  return { schema, store: await PostgresStateStore.open({ connectionString: database, schema }) };
}

interface Worker {
  child: ChildProcessWithoutNullStreams;
  lines: AsyncIterator<string>;
  exited: Promise<unknown>;
}

function startWorker(mode: string, schema: string, owner: string, count = 0): Worker {
  const env = { ...process.env };
  delete env.NODE_OPTIONS;
  const child = spawn(process.execPath, [WORKER, mode, database, schema, owner, String(count)], {
    env,
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  const stderr: string[] = [];
  child.stderr.on('data', (chunk: Buffer) => stderr.push(chunk.toString()));
  const exited = once(child, 'exit').then(([code, signal]) => {
    if (code !== 0 && signal !== 'SIGKILL') {
      throw new Error(`worker ${owner} exited with ${code}: ${stderr.join('')}`);
    }
  });
  return { child, exited, lines: createInterface({ input: child.stdout })[Symbol.asyncIterator]() };
}

async function nextLine(worker: Worker): Promise<string> {
  const { value, done } = await worker.lines.next();
  if (done === true) {
    await worker.exited;
    throw new Error('the worker ended without answering');
  }
  return value;
}

describe('PostgresStateStore shared by several processes', () => {
  it('lets exactly one of several processes racing for a free lease acquire it', async () => {
    const { schema, store } = await freshStore();
    const workers = ['p1', 'p2', 'p3', 'p4'].map((owner) => startWorker('race', schema, owner));
    try {
      // Start the race only once every process is connected.
      for (const worker of workers) expect(await nextLine(worker)).toBe('ready');
      for (const { child } of workers) child.stdin.write('go\n');
      const outcomes = await Promise.all(
        workers.map(
          async (worker) =>
            JSON.parse(await nextLine(worker)) as { owner: string; acquired: boolean },
        ),
      );
      const winners = outcomes.filter((outcome) => outcome.acquired).map((o) => o.owner);
      expect(winners).toHaveLength(1);
      expect((await store.readLease('race'))?.owner).toBe(winners[0]);
    } finally {
      for (const { child } of workers) child.stdin.end();
      await Promise.all(workers.map(({ exited }) => exited));
      await store.close();
    }
  });

  it('never moves a checkpoint backwards while processes take turns under the lease', async () => {
    const { schema, store } = await freshStore();
    const rounds = 150;
    // Each process reads the checkpoint and saves it one further, holding the lease; had two
    // ever held it at once, both would have read the same position and one step would be lost.
    const workers = ['w1', 'w2', 'w3'].map((owner) =>
      startWorker('increment', schema, owner, rounds),
    );
    try {
      const reports = await Promise.all(
        workers.map(
          async (worker) => JSON.parse(await nextLine(worker)) as { owner: string; read: number[] },
        ),
      );
      for (const { read } of reports) {
        expect(read).toHaveLength(rounds);
        for (let i = 1; i < read.length; i += 1) {
          expect(read[i]).toBeGreaterThan(read[i - 1] ?? Number.POSITIVE_INFINITY);
        }
      }
      const everyRead = reports.flatMap(({ read }) => read).sort((a, b) => a - b);
      expect(everyRead).toEqual(Array.from({ length: rounds * 3 }, (_, i) => i));
      expect((await store.getCheckpoint('counter', 'main'))?.position).toBe(rounds * 3);
    } finally {
      await Promise.all(workers.map(({ exited }) => exited));
      await store.close();
    }
  });

  it('lets a run on the same machine take over at once the lease of a killed run', async () => {
    const { schema, store } = await freshStore();
    const holder = startWorker('hold', schema, 'unused');
    try {
      expect(await nextLine(holder)).toBe('holding');
      const held = await store.readLease('pipeline:providers');
      expect(held?.owner).toMatch(new RegExp(`:${holder.child.pid}:`));

      // While it runs, another run is refused.
      const logger: Logger = new RecordingLogger();
      await expect(
        withPipelineLease(store, 'providers', logger, undefined, async () => 'ran'),
      ).rejects.toMatchObject({ code: 'PMS_STATE_LEASE_HELD' });

      holder.child.kill('SIGKILL');
      await holder.exited;
      const resumed = await withPipelineLease(store, 'providers', logger, undefined, () =>
        store.getCheckpoint('providers', 'full'),
      );
      expect(resumed?.position).toEqual({ page: 7, by: 'unused' });
      expect(await store.readLease('pipeline:providers')).toBeUndefined();
    } finally {
      holder.child.kill('SIGKILL');
      await holder.exited;
      await store.close();
    }
  });
});
