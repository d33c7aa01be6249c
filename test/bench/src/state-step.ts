#!/usr/bin/env node
// Measures one state store in its own process: sequential checkpoint saves, then content
// hashes written, read and listed one provider's slots at a time, as a sink does.
import { createHash } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { SqliteStateStore, type StateStore } from '@pmsbridge/core';
import { PostgresStateStore } from '@pmsbridge/adapter-postgres';

/** Input of a state step (JSON in argv[2]). */
export type StateStepInput = {
  checkpoints: number;
  providers: number;
  slotsPerProvider: number;
} & ({ store: 'sqlite'; path: string } | { store: 'postgres'; connectionString: string });

/** What a state step prints: each phase's duration and how many operations it made. */
export interface StateStepResult {
  checkpoints: number;
  checkpointMs: number;
  hashes: number;
  hashWriteMs: number;
  hashReadMs: number;
  hashListMs: number;
}

const input = JSON.parse(process.argv[2] ?? '{}') as StateStepInput;

async function open(): Promise<StateStore> {
  return input.store === 'sqlite'
    ? SqliteStateStore.open(input.path)
    : PostgresStateStore.open({ connectionString: input.connectionString });
}

/** How long `work` takes, in milliseconds. */
async function timed(work: () => Promise<void>): Promise<number> {
  const start = performance.now();
  await work();
  return performance.now() - start;
}

const providerId = (n: number) => `PRV${String(n).padStart(10, '0')}`;
const slotKeys = (n: number) =>
  Array.from({ length: input.slotsPerProvider }, (_, i) => `Slot/${providerId(n)}/${i}`);
const hashOf = (key: string) => `sha256:${createHash('sha256').update(key).digest('hex')}`;

const store = await open();
try {
  const checkpointMs = await timed(async () => {
    for (let i = 0; i < input.checkpoints; i += 1) {
      await store.saveCheckpoint('bench', 'full', {
        position: { page: i, cursor: `c-${i}`, providers: i * 100 },
        sinkStates: { fhir: { batches: i }, bulk: { bytes: i * 4096, files: ['Slot.ndjson'] } },
        updatedAt: new Date().toISOString(),
      });
    }
  });
  const hashWriteMs = await timed(async () => {
    for (let n = 0; n < input.providers; n += 1) {
      await store.setHashes(
        'fhir',
        slotKeys(n).map((key) => [key, hashOf(key)] as const),
      );
    }
  });
  let found = 0;
  const hashReadMs = await timed(async () => {
    for (let n = 0; n < input.providers; n += 1) {
      found += (await store.getHashes('fhir', slotKeys(n))).size;
    }
  });
  let listed = 0;
  const hashListMs = await timed(async () => {
    for (let n = 0; n < input.providers; n += 1) {
      listed += (await store.listHashKeys('fhir', `Slot/${providerId(n)}/`)).length;
    }
  });
  const hashes = input.providers * input.slotsPerProvider;
  if (found !== hashes || listed !== hashes) {
    throw new Error(`read back ${found} hashes and listed ${listed}, not ${hashes}`);
  }
  const result: StateStepResult = {
    checkpoints: input.checkpoints,
    checkpointMs,
    hashes,
    hashWriteMs,
    hashReadMs,
    hashListMs,
  };
  process.stdout.write(`${JSON.stringify(result)}\n`);
} finally {
  await store.close();
}
