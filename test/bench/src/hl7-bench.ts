import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Hl7StepInput, Hl7StepResult } from './hl7-step.js';
import { runStep, startHl7PeerProcess } from './processes.js';

const STEP = fileURLToPath(new URL('./hl7-step.js', import.meta.url));
const MB = 1024 * 1024;

/** One benchmark scenario's figures. */
export interface Hl7Scenario {
  name: string;
  providers: number;
  durationMs: number;
  [key: string]: number | string | boolean;
}

function figures(name: string, providers: number, step: Hl7StepResult): Hl7Scenario {
  const seconds = step.durationMs / 1000;
  return {
    name,
    providers,
    durationMs: Math.round(step.durationMs),
    messages: step.messages,
    slots: step.slots,
    messagesPerSecond: Math.round(step.messages / seconds),
    slotsPerSecond: Math.round(step.slots / seconds),
    cpuMs: Math.round(step.cpuMs),
    peakRssMB: Math.round(step.peakRssBytes / MB),
  };
}

/**
 * The HL7 v2 sink alone (records built in memory, SQLite state as in production): a full
 * send of `providers` providers over one MLLP connection to the test peer in its own process
 * (each message acknowledged before the next), then into one batch file. Every message is
 * checked to have arrived: counted by the peer, or by the file's BTS segment.
 */
export async function hl7Scenarios(workRoot: string, providers = 2000): Promise<Hl7Scenario[]> {
  const base = { providers, slotsPerDay: 6, batchSize: 100 };
  const scenarios: Hl7Scenario[] = [];
  const peer = await startHl7PeerProcess();
  let mllp: Hl7StepResult;
  try {
    mllp = await runStep<Hl7StepResult>(STEP, {
      ...base,
      mode: 'mllp',
      port: peer.port,
      workDir: join(workRoot, 'hl7-mllp'),
    } satisfies Hl7StepInput);
  } finally {
    await peer.stop();
  }
  if (peer.accepted() !== mllp.messages) {
    throw new Error(`the peer accepted ${peer.accepted()} messages, not ${mllp.messages}`);
  }
  scenarios.push(figures('hl7 v2: full send over one MLLP connection', providers, mllp));
  try {
    const file = await runStep<Hl7StepResult>(STEP, {
      ...base,
      mode: 'file',
      workDir: join(workRoot, 'hl7-file'),
    } satisfies Hl7StepInput);
    scenarios.push(figures('hl7 v2: full send into one batch file', providers, file));
  } finally {
    await rm(join(workRoot, 'hl7-file'), { recursive: true, force: true });
    await rm(join(workRoot, 'hl7-mllp'), { recursive: true, force: true });
  }
  return scenarios;
}
