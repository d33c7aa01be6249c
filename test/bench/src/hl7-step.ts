#!/usr/bin/env node
// The HL7 v2 sink alone in its own process: its wall time, CPU and peak RSS are its own.
import { mkdir, open, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { hl7v2Plugin } from '@pmsbridge/adapter-hl7v2';
import {
  SqliteStateStore,
  silentLogger,
  systemClock,
  type Location,
  type Slot,
  type SyncRecord,
} from '@pmsbridge/core';
import { createPlugin, makeProvider } from '@pmsbridge/core/testing';

/** Input of an HL7 step (JSON in argv[2]). */
export interface Hl7StepInput {
  mode: 'mllp' | 'file';
  /** The peer's port (mllp). */
  port?: number;
  workDir: string;
  providers: number;
  /** Per provider, at each of its 2 locations, per day for 14 days. */
  slotsPerDay: number;
  batchSize: number;
}

/** What an HL7 step prints. */
export interface Hl7StepResult {
  durationMs: number;
  cpuMs: number;
  peakRssBytes: number;
  messages: number;
  slots: number;
}

const input = JSON.parse(process.argv[2] ?? '{}') as Hl7StepInput;
await mkdir(input.workDir, { recursive: true });

function location(n: number): Location {
  return {
    id: `LOC${String(n).padStart(10, '0')}`,
    name: `Clinic ${n}`,
    address: {
      lines: [`${n} Main St`],
      city: 'Chicago',
      state: 'IL',
      postalCode: '60601',
      country: 'US',
    },
    timezone: 'America/Chicago',
  };
}

/** A provider at two locations with `slotsPerDay` slots a day at each over 14 days, most free. */
function record(n: number): SyncRecord {
  const locations = [location(n), location(n + 1)];
  const provider = makeProvider(n, { locations });
  const slots: Slot[] = [];
  for (let day = 0; day < 14; day++) {
    const date = new Date(Date.UTC(2030, 0, 7 + day)).toISOString().slice(0, 10);
    for (const at of locations) {
      for (let i = 0; i < input.slotsPerDay; i++) {
        const minutes = 8 * 60 + i * 30;
        slots.push({
          id: `SLT-${n}-${date}-${at.id}-${i}`,
          date,
          time: `${String(Math.floor(minutes / 60)).padStart(2, '0')}:${String(minutes % 60).padStart(2, '0')}`,
          durationMinutes: 30,
          available: (n + day + i) % 4 !== 0,
          locationId: at.id,
          visitType: i % 3 === 0 ? 'new_patient' : 'follow_up',
        });
      }
    }
  }
  return {
    kind: 'provider',
    provider,
    window: { startDate: '2030-01-07', endDate: '2030-01-20' },
    slots,
  };
}

const state = SqliteStateStore.open(join(input.workDir, 'state.sqlite'));
const sink = await createPlugin(hl7v2Plugin, {
  options:
    input.mode === 'mllp'
      ? { host: '127.0.0.1', port: input.port, receivingApplication: 'PMS' }
      : { mode: 'file', outputDir: join(input.workDir, 'hl7'), receivingApplication: 'PMS' },
  name: 'pms',
  services: { state, clock: systemClock, logger: silentLogger },
});
const signal = new AbortController().signal;
const cpuBefore = process.cpuUsage();
const started = performance.now();
let messages = 0;
let slots = 0;
await sink.open?.({ dryRun: false, mode: 'full', signal });
for (let first = 1; first <= input.providers; first += input.batchSize) {
  const batch: SyncRecord[] = [];
  for (let n = first; n < first + input.batchSize && n <= input.providers; n++)
    batch.push(record(n));
  for (const outcome of await sink.write(batch, signal)) {
    if (!outcome.ok) throw new Error(`${outcome.key}: ${outcome.error?.message ?? 'failed'}`);
    slots += outcome.counts?.SIU?.created ?? 0;
  }
  // One MFN^M02 per provider, one SIU^S24 per location with free slots.
  for (const r of batch) {
    if (r.kind !== 'provider') continue;
    messages += 1 + new Set(r.slots.filter((s) => s.available).map((s) => s.locationId)).size;
  }
}
await sink.close?.({ completed: true });
const durationMs = performance.now() - started;
if (input.mode === 'file') {
  // The batch file's BTS-1 (in its last bytes) must count every message.
  const dir = join(input.workDir, 'hl7');
  const [file] = (await readdir(dir)).filter((name) => name.endsWith('.hl7'));
  const handle = await open(join(dir, file ?? ''), 'r');
  const { size } = await handle.stat();
  const { buffer, bytesRead } = await handle.read(Buffer.alloc(64), 0, 64, Math.max(0, size - 64));
  await handle.close();
  const bts = /\rBTS\|(\d+)\r/.exec(buffer.subarray(0, bytesRead).toString('latin1'))?.[1];
  if (Number(bts) !== messages)
    throw new Error(`the batch file counts ${bts} messages, not ${messages}`);
}
const cpu = process.cpuUsage(cpuBefore);
await state.close();
const result: Hl7StepResult = {
  durationMs,
  cpuMs: (cpu.user + cpu.system) / 1000,
  peakRssBytes: process.resourceUsage().maxRSS * 1024,
  messages,
  slots,
};
process.stdout.write(`${JSON.stringify(result)}\n`);
