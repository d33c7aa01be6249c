import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { join } from 'node:path';
import { loadConfig, openSyncApp, silentLogger, type DeadLetter } from '@pmsbridge/core';
import { startSandbox, type Sandbox } from '@pmsbridge/healthconnect-sandbox';
import { startHl7Peer, type Hl7Peer, type ReceivedMessage } from '@pmsbridge/test-hl7-peer';
import { createWorkspace, runSync, sandboxSource, type Workspace } from './pipeline-harness.js';

const PROVIDERS = 30;
const PIPELINE = 'it-hl7';

/** Field `n` (component `c`) of a message's first `name` segment, as the peer parsed it. */
function field(message: ReceivedMessage, name: string, n: number, c = 1): string {
  return message.message?.getSegment(name)?.getField(n)?.getComponent(c) ?? '';
}

/** Every `name` segment's field `n` (component 1) of the messages. */
function fields(messages: readonly ReceivedMessage[], name: string, n: number): string[] {
  return messages.flatMap(
    (m) => m.message?.getAllSegments(name).map((s) => s.getField(n)?.getComponent(1) ?? '') ?? [],
  );
}

const ofType = (messages: readonly ReceivedMessage[], type: string) =>
  messages.filter((m) => m.type === type);

describe('sandbox → pipeline → HL7 v2 practice-management peer', () => {
  let sandbox: Sandbox;
  let peer: Hl7Peer;
  let workspace: Workspace;
  let config: string;
  /** Provider id of each NPI, from the staff master file the peer received. */
  const providerOfNpi = new Map<string, string>();

  /** Runs a sync; returns it and what the peer received during it. */
  async function sync(mode: 'full' | 'incremental') {
    const before = peer.received().length;
    const summary = await runSync(workspace, sandbox, config, mode);
    return { summary, messages: peer.received().slice(before) };
  }

  async function deadLetters(): Promise<DeadLetter[]> {
    const loaded = await loadConfig(join(workspace.dir, 'pipeline.yaml'), {
      ...process.env,
      HC_TEST_SECRET: sandbox.clientSecret,
    });
    const app = await openSyncApp(loaded, { logger: silentLogger });
    try {
      return await app.state.listDeadLetters(PIPELINE);
    } finally {
      await app.close();
    }
  }

  beforeAll(async () => {
    sandbox = await startSandbox({ providers: PROVIDERS, seed: 5 });
    peer = await startHl7Peer();
    workspace = await createWorkspace();
    config = `pipeline: ${PIPELINE}
state: { path: state.sqlite }
${sandboxSource(sandbox)}
sinks:
  - use: '@pmsbridge/adapter-hl7v2'
    name: pms
    options:
      host: 127.0.0.1
      port: ${peer.port}
      receivingApplication: PMS
      ackTimeoutMs: 2000
      retryDelayMs: 10
      maxRetries: 2
      connectAttempts: 2
sync: { horizonDays: 2, batchSize: 10, concurrency: 4, deadLetterThreshold: 1 }
`;
  });

  afterAll(async () => {
    await peer?.close();
    await sandbox?.close();
    await workspace?.cleanup();
  });

  it('sends one MFN^M02 per active provider and an S24 for the free slots, each parsed by the peer', async () => {
    const { summary, messages } = await sync('full');
    expect(summary).toMatchObject({ read: PROVIDERS, written: PROVIDERS, deadLettered: 0 });
    expect(messages.every((m) => m.message !== undefined && m.reply === 'AA')).toBe(true);

    const mfn = ofType(messages, 'MFN^M02');
    const ids = Array.from(
      { length: PROVIDERS },
      (_, i) => `PRV${String(i + 1).padStart(10, '0')}`,
    );
    expect(mfn.map((m) => field(m, 'MFE', 4)).sort()).toEqual(ids);
    expect(new Set(mfn.map((m) => field(m, 'MFE', 1)))).toEqual(new Set(['MAD']));
    for (const m of mfn) providerOfNpi.set(field(m, 'STF', 2), field(m, 'MFE', 4));

    const s24 = ofType(messages, 'SIU^S24');
    expect(s24.length).toBeGreaterThan(0);
    expect(ofType(messages, 'SIU^S23')).toEqual([]);
    expect(mfn.length + s24.length).toBe(messages.length);
    expect(fields(s24, 'RGS', 3)).toHaveLength(summary.sinks['pms']?.['SIU']?.created ?? -1);
    expect(new Set(messages.map((m) => m.controlId)).size).toBe(messages.length);
  });

  it('sends only the changes on an incremental run: MUP for an edited provider, S23 for a booked slot', async () => {
    const opened = peer
      .received()
      .filter((m) => m.type === 'SIU^S24')
      .map((m) => ({ provider: providerOfNpi.get(field(m, 'AIP', 3)), slot: field(m, 'RGS', 3) }))
      .find((s) => s.provider !== undefined && s.provider !== 'PRV0000000004');
    if (opened?.provider === undefined) throw new Error('no S24 of another provider to book');
    sandbox.admin.updateProvider('PRV0000000004', { phone: '+1-212-555-0199' });
    sandbox.admin.bookSlot(opened.provider, opened.slot);

    const { summary, messages } = await sync('incremental');
    expect(summary).toMatchObject({ mode: 'incremental', read: 2, deadLettered: 0 });
    expect(messages.map((m) => m.type).sort()).toEqual(['MFN^M02', 'SIU^S23']);
    const [mup] = ofType(messages, 'MFN^M02');
    expect(mup && [field(mup, 'MFE', 1), field(mup, 'MFE', 4)]).toEqual(['MUP', 'PRV0000000004']);
    expect(mup?.raw).toContain('555-0199');
    const [s23] = ofType(messages, 'SIU^S23');
    expect(s23 && fields([s23], 'RGS', 3)).toEqual([opened.slot]);
    expect(s23 && field(s23, 'SCH', 25)).toBe('Blocked');
  });

  it('gets a message again under the same control id after an AR, and keeps it once', async () => {
    peer.setRules([{ pattern: 'PRV0000000010', reply: 'AR', times: 1 }]);
    sandbox.admin.updateProvider('PRV0000000010', { phone: '+1-212-555-0198' });
    const { summary, messages } = await sync('incremental');
    expect(summary).toMatchObject({ read: 1, written: 1, deadLettered: 0 });
    expect(messages.map((m) => [m.type, m.reply])).toEqual([
      ['MFN^M02', 'AR'],
      ['MFN^M02', 'AA'],
    ]);
    expect(messages[1]?.controlId).toBe(messages[0]?.controlId);
    expect(messages[1]?.raw.split('\r').slice(1)).toEqual(messages[0]?.raw.split('\r').slice(1));

    const accepted = peer.received().filter((m) => m.reply === 'AA');
    expect(new Set(accepted.map((m) => m.controlId)).size).toBe(accepted.length);
    peer.setRules([]);
    expect((await sync('incremental')).messages).toEqual([]);
  });

  it('dead-letters the record the peer answers AE and delivers the others', async () => {
    peer.setRules([{ pattern: 'PRV0000000012', reply: 'AE', text: 'Unknown practitioner' }]);
    sandbox.admin.updateProvider('PRV0000000012', { phone: '+1-212-555-0197' });
    sandbox.admin.updateProvider('PRV0000000013', { phone: '+1-212-555-0196' });
    const { summary, messages } = await sync('incremental');
    expect(summary).toMatchObject({ read: 2, written: 1, deadLettered: 1 });
    expect(messages.map((m) => `${field(m, 'MFE', 4)} ${m.reply}`).sort()).toEqual([
      'PRV0000000012 AE',
      'PRV0000000013 AA',
    ]);
    const letters = await deadLetters();
    expect(letters).toHaveLength(1);
    expect(letters[0]?.key).toContain('PRV0000000012');
    expect(letters[0]?.reason.message).toContain('Unknown practitioner');
  });

  it('replays the dead letter once the peer accepts it: the same message, taken once', async () => {
    const refused = peer.received().find((m) => m.reply === 'AE');
    peer.setRules([]);
    const before = peer.received().length;
    const loaded = await loadConfig(join(workspace.dir, 'pipeline.yaml'), {
      ...process.env,
      HC_TEST_SECRET: sandbox.clientSecret,
    });
    const app = await openSyncApp(loaded, { logger: silentLogger });
    let summary;
    try {
      summary = await app.engine.replayDeadLetters(app.syncOptions);
    } finally {
      await app.close();
    }
    expect(summary).toMatchObject({ written: 1, deadLettered: 0 });
    const replayed = peer.received().slice(before);
    expect(replayed.map((m) => [m.type, field(m, 'MFE', 4), m.reply])).toEqual([
      ['MFN^M02', 'PRV0000000012', 'AA'],
    ]);
    expect(replayed[0]?.controlId).toBe(refused?.controlId);
    expect(await deadLetters()).toEqual([]);
  });
});
