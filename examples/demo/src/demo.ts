import { mkdir, rm, writeFile } from 'node:fs/promises';
import { join, relative, resolve } from 'node:path';
import {
  ProgressReporter,
  createLogger,
  formatSummary,
  hashApiKey,
  loadConfig,
  newApiKey,
  openServeApp,
  openSyncApp,
  type Booking,
  type SyncSummary,
} from '@pmsbridge/core';
import { createHealthConnectClient } from '@pmsbridge/adapter-healthconnect';
import { startSandbox, type Sandbox } from '@pmsbridge/healthconnect-sandbox';
import { startFhirServer, type FhirServer } from '@pmsbridge/test-fhir-server';
import { startHl7Peer, type Hl7Peer, type ReceivedMessage } from '@pmsbridge/test-hl7-peer';

/** Options of {@link runDemo}. */
export interface DemoOptions {
  /** Where the config, state, bulk publication and logs go. */
  outputDir: string;
  providers: number;
  /** Progress bars and summaries go here. */
  stream: NodeJS.WriteStream;
  /**
   * Called once both syncs are done, while the sandbox and the FHIR server still run (to
   * query them); they stop when it resolves.
   */
  beforeStop?: (result: DemoResult) => Promise<void>;
}

/** What the HL7 v2 peer took during one sync: per message type and staff event, how many. */
export type Hl7Accepted = Record<string, number>;

/** What the demo did, for its caller and its test. */
export interface DemoResult {
  full: SyncSummary;
  incremental: SyncSummary;
  /** What the practice-management peer accepted over MLLP during each sync. */
  hl7: { full: Hl7Accepted; incremental: Hl7Accepted };
  /** The booking made through the API, and whether sending it again answered the same one. */
  booking: { booking: Booking; sameOnRetry: boolean };
  mutations: { updated: string[]; deactivated: string[]; created: string[]; booked: string[] };
  fhirBaseUrl: string;
  outputDir: string;
}

function pipelineConfig(
  sandbox: Sandbox,
  fhir: FhirServer,
  peer: Hl7Peer,
  keyHash: string,
): string {
  return `# Written by the demo: the sandbox and FHIR server addresses of this run.
pipeline: demo
state: { path: state.sqlite }
log: { level: warn }
source:
  use: '@pmsbridge/adapter-healthconnect'
  options:
    baseUrl: '${sandbox.baseUrl}'
    tokenUrl: '${sandbox.tokenUrl}'
    clientId: '\${HEALTHCONNECT_CLIENT_ID}'
    clientSecret: '\${HEALTHCONNECT_CLIENT_SECRET}'
    concurrency: 16
stages:
  - use: '@pmsbridge/plugin-npi-validate'
sinks:
  - use: '@pmsbridge/adapter-fhir'
    name: fhir-server
    options: { target: server, baseUrl: '${fhir.baseUrl}' }
  - use: '@pmsbridge/adapter-smart-scheduling-links'
    name: bulk
    options:
      outputDir: bulk
      baseUrl: 'http://localhost:8080'
      # Where a patient books a slot; the booking phone defaults to the location's.
      bookingLink: 'https://pms.example.org/book?slot={slotId}&provider={providerId}&start={start}'
  - use: '@pmsbridge/adapter-hl7v2'
    name: pms-hl7
    options: { host: 127.0.0.1, port: ${peer.port}, receivingApplication: PMS }
# pmsbridge serve: the directory and bookings, booked as Appointments in the FHIR server.
booking:
  use: '@pmsbridge/adapter-fhir/booking'
  options: { baseUrl: '${fhir.baseUrl}' }
serve:
  port: 0
  apiKeys:
    - { id: demo, hash: '${keyHash}', scopes: [read, book] }
sync: { horizonDays: 14, concurrency: 16, batchSize: 100, batchMaxWaitMs: 500 }
`;
}

/** Changes a few providers and slots in the sandbox, as HealthConnect's data would change. */
async function mutate(sandbox: Sandbox): Promise<DemoResult['mutations']> {
  const client = createHealthConnectClient({
    baseUrl: sandbox.baseUrl,
    tokenUrl: sandbox.tokenUrl,
    clientId: sandbox.clientId,
    clientSecret: sandbox.clientSecret,
  });
  try {
    const updated = ['PRV0000000003', 'PRV0000000004', 'PRV0000000005'];
    for (const id of updated) sandbox.admin.updateProvider(id, { accepting_new_patients: false });
    const deactivated = ['PRV0000000006'];
    for (const id of deactivated) sandbox.admin.deactivateProvider(id);
    const created = [sandbox.admin.createProvider({ specialties: ['cardiology'] }).id];
    const today = new Date().toISOString().slice(0, 10);
    const inAWeek = new Date(Date.now() + 7 * 86_400_000).toISOString().slice(0, 10);
    const slots = await client.getSchedule('PRV0000000001', {
      startDate: today,
      endDate: inAWeek,
    });
    const booked = slots
      .filter((slot) => slot.available)
      .slice(0, 2)
      .map((slot) => slot.id);
    for (const slotId of booked) sandbox.admin.bookSlot('PRV0000000001', slotId);
    return { updated, deactivated, created, booked };
  } finally {
    await client.close();
  }
}

async function sync(
  configPath: string,
  mode: 'full' | 'incremental',
  stream: NodeJS.WriteStream,
): Promise<SyncSummary> {
  const loaded = await loadConfig(configPath);
  const app = await openSyncApp(loaded, { logger: createLogger({ level: 'warn', stream }) });
  const progress = new ProgressReporter(stream);
  try {
    const summary = await app.engine.run({
      ...app.syncOptions,
      mode,
      onProgress: (update) => progress.update(update),
    });
    if (summary.failure !== undefined)
      throw new Error(`${mode} sync failed: ${summary.failure.message} [${summary.failure.code}]`);
    return summary;
  } finally {
    progress.stop();
    await app.close();
  }
}

/**
 * Starts the booking API on the demo's config, finds the first free new-patient slot of the
 * week through it, books it, and sends the same request again (same Idempotency-Key).
 */
async function bookThroughApi(
  configPath: string,
  key: string,
  stream: NodeJS.WriteStream,
): Promise<DemoResult['booking']> {
  const app = await openServeApp(await loadConfig(configPath), {
    logger: createLogger({ level: 'warn', stream }),
  });
  try {
    const call = async (path: string, init: { method?: 'POST'; body?: unknown } = {}) => {
      const response = await fetch(`${app.server.url}${path}`, {
        method: init.method ?? 'GET',
        headers: {
          authorization: `Bearer ${key}`,
          'content-type': 'application/json',
          'idempotency-key': 'demo-booking-1',
        },
        ...(init.body === undefined ? {} : { body: JSON.stringify(init.body) }),
      });
      return { status: response.status, body: (await response.json()) as never };
    };
    const day = (offset: number) =>
      new Date(Date.now() + offset * 86_400_000).toISOString().slice(0, 10);
    const found = await call(
      `/v1/availability?startDate=${day(0)}&endDate=${day(6)}&visitType=new_patient&perPage=1`,
    );
    const [first] = (
      found.body as { items: Array<{ provider: { id: string }; slot: { id: string } }> }
    ).items;
    if (first === undefined) throw new Error('no free new-patient slot this week');
    const body = {
      providerId: first.provider.id,
      slotId: first.slot.id,
      patient: { firstName: 'Ana', lastName: 'Rivera', birthDate: '1980-04-02' },
    };
    const booked = await call('/v1/bookings', { method: 'POST', body });
    const again = await call('/v1/bookings', { method: 'POST', body });
    if (booked.status !== 201) throw new Error(`booking answered HTTP ${booked.status}`);
    return {
      booking: booked.body as Booking,
      sameOnRetry:
        again.status === 200 && JSON.stringify(again.body) === JSON.stringify(booked.body),
    };
  } finally {
    await app.close();
  }
}

/** `MFN^M02` by staff event (`MFN^M02 MAD`), the other types as they are. */
function tally(messages: readonly ReceivedMessage[]): Hl7Accepted {
  const counts: Hl7Accepted = {};
  for (const m of messages) {
    const event = m.type === 'MFN^M02' ? m.message?.getSegment('MFE')?.getField(1)?.toString() : '';
    const name = event ? `${m.type} ${event}` : m.type;
    counts[name] = (counts[name] ?? 0) + 1;
  }
  return counts;
}

function describeAccepted(accepted: Hl7Accepted): string {
  const parts = Object.entries(accepted)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([type, n]) => `${n} ${type}`);
  return `HL7 v2 peer accepted: ${parts.length === 0 ? 'nothing' : parts.join(', ')}`;
}

/**
 * The demo: a sandbox, a FHIR server and an HL7 v2 practice-management peer in-process, a
 * full sync into the FHIR server, a SMART Scheduling Links publication and the peer (over
 * MLLP), a few changes in the sandbox, an incremental sync. Everything it starts is stopped
 * before it returns.
 */
export async function runDemo(options: DemoOptions): Promise<DemoResult> {
  const out = resolve(options.outputDir);
  await rm(out, { recursive: true, force: true });
  await mkdir(out, { recursive: true });
  const sandbox = await startSandbox({ providers: options.providers, seed: 42 });
  let fhir: FhirServer | undefined;
  let peer: Hl7Peer | undefined;
  try {
    fhir = await startFhirServer();
    peer = await startHl7Peer();
    const accepted = peer.accepted.bind(peer);
    // The config reads the credentials from the environment, as a real deployment would.
    process.env.HEALTHCONNECT_CLIENT_ID = sandbox.clientId;
    process.env.HEALTHCONNECT_CLIENT_SECRET = sandbox.clientSecret;
    const configPath = join(out, 'pipeline.yaml');
    const apiKey = newApiKey();
    await writeFile(configPath, pipelineConfig(sandbox, fhir, peer, hashApiKey(apiKey)));

    const write = (text: string) => options.stream.write(`${text}\n`);
    write(
      `Sandbox ${sandbox.baseUrl} (${options.providers} providers), FHIR server ${fhir.baseUrl}, HL7 v2 peer mllp://127.0.0.1:${peer.port}`,
    );
    write(
      '\n1/4 Full sync: HealthConnect → FHIR server + SMART Scheduling Links files + HL7 v2 over MLLP',
    );
    const full = await sync(configPath, 'full', options.stream);
    write(formatSummary(full));
    const hl7Full = tally(accepted());
    write(describeAccepted(hl7Full));

    write(
      '\n2/4 Changing the sandbox: 3 providers updated, 1 deactivated, 1 created, 2 slots booked',
    );
    const mutations = await mutate(sandbox);

    write('\n3/4 Incremental sync: only what changed');
    const before = accepted().length;
    const incremental = await sync(configPath, 'incremental', options.stream);
    write(formatSummary(incremental));
    const hl7Incremental = tally(accepted().slice(before));
    write(describeAccepted(hl7Incremental));

    write('\n4/4 Booking through the API (pmsbridge serve): a free new-patient slot this week');
    const booking = await bookThroughApi(configPath, apiKey, options.stream);
    write(
      `Booked ${booking.booking.id} with ${booking.booking.providerId} at ${booking.booking.start ?? '?'}: ${booking.booking.partnerId ?? '?'} in the FHIR server` +
        (booking.sameOnRetry ? '; the same request again answered the same booking' : ''),
    );
    const result = {
      full,
      incremental,
      hl7: { full: hl7Full, incremental: hl7Incremental },
      booking,
      mutations,
      fhirBaseUrl: fhir.baseUrl,
      outputDir: out,
    };
    await options.beforeStop?.(result);
    return result;
  } finally {
    await peer?.close();
    await fhir?.close();
    await sandbox.close();
  }
}

/** The closing lines: where the output is and how to look at it. */
export function whereToLook(result: DemoResult): string {
  const dir = relative(process.cwd(), result.outputDir) || '.';
  return [
    '',
    `Output in ${dir}/:`,
    `  ${dir}/bulk/$bulk-publish     SMART Scheduling Links manifest (+ NDJSON files beside it)`,
    `  ${dir}/state.sqlite           checkpoints, dead letters, content hashes`,
    `  ${dir}/pipeline.yaml          the config both syncs ran with`,
    'Look at it:',
    `  npx pmsbridge publish serve ${dir}/bulk --port 8080 --base-url http://localhost:8080 &`,
    '  curl -s http://localhost:8080/\\$bulk-publish',
    `  npx pmsbridge dlq list --config ${dir}/pipeline.yaml   # needs HEALTHCONNECT_CLIENT_ID/SECRET set`,
    '  npm run demo -- --keep                 # the same, then query the FHIR server before it stops',
  ].join('\n');
}
