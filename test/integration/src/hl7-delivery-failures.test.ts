/**
 * HL7 v2 delivery when the practice-management system misbehaves, end to end: the sandbox over
 * HTTP, the real sink over MLLP, and the test peer answering by rule. The peer takes a message
 * once per control id (a resend is acknowledged again and not taken twice), as HL7's original
 * acknowledgment mode asks of a receiver; what it took is compared with what an undisturbed
 * run delivers.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import { spawn } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { startSandbox, type Sandbox } from '@pmsbridge/healthconnect-sandbox';
import { startHl7Peer, type Hl7Peer, type ReceivedMessage } from '@pmsbridge/test-hl7-peer';
import { createWorkspace, runSync, sandboxSource, type Workspace } from './pipeline-harness.js';

const PROVIDERS = 24;
const bin = join(
  dirname(createRequire(import.meta.url).resolve('@pmsbridge/core/package.json')),
  'dist',
  'cli',
  'bin.js',
);

function pipeline(sandbox: Sandbox, peer: Hl7Peer, sink: { ackTimeoutMs?: number } = {}): string {
  return `pipeline: it-hl7-failures
state: { path: state.sqlite }
${sandboxSource(sandbox)}
sinks:
  - use: '@pmsbridge/adapter-hl7v2'
    name: pms
    options:
      host: 127.0.0.1
      port: ${peer.port}
      receivingApplication: PMS
      ackTimeoutMs: ${sink.ackTimeoutMs ?? 2000}
      retryDelayMs: 10
      maxRetries: 2
      connectAttempts: 3
sync: { horizonDays: 2, batchSize: 5, concurrency: 4, deadLetterThreshold: 1 }
`;
}

const controlIds = (messages: readonly ReceivedMessage[]) =>
  messages.map((m) => m.controlId).sort();

describe('HL7 v2 delivery through a misbehaving practice-management system', () => {
  let sandbox: Sandbox;
  /** What an undisturbed full sync of the sandbox delivers: control ids, sorted. */
  let reference: string[];
  const workspaces: Workspace[] = [];
  const peers: Hl7Peer[] = [];

  async function setUp(): Promise<{ workspace: Workspace; peer: Hl7Peer }> {
    const workspace = await createWorkspace();
    const peer = await startHl7Peer();
    workspaces.push(workspace);
    peers.push(peer);
    return { workspace, peer };
  }

  beforeAll(async () => {
    sandbox = await startSandbox({ providers: PROVIDERS, seed: 21 });
    const { workspace, peer } = await setUp();
    const summary = await runSync(workspace, sandbox, pipeline(sandbox, peer), 'full');
    expect(summary).toMatchObject({ written: PROVIDERS, deadLettered: 0 });
    reference = controlIds(peer.accepted());
    expect(peer.received()).toHaveLength(reference.length);
  });

  afterEach(async () => {
    for (const peer of peers.splice(0)) await peer.close();
    for (const workspace of workspaces.splice(0)) await workspace.cleanup();
  });

  afterAll(async () => {
    await sandbox?.close();
  });

  it('sends again, on a new connection, what was in flight when the peer dropped the connection', async () => {
    const { workspace, peer } = await setUp();
    peer.setRules([{ messageType: 'SIU^S24', every: 4, times: 3, reply: 'drop' }]);
    const summary = await runSync(workspace, sandbox, pipeline(sandbox, peer), 'full');
    expect(summary).toMatchObject({ written: PROVIDERS, deadLettered: 0 });

    const dropped = peer.received().filter((m) => m.reply === 'drop');
    expect(dropped).toHaveLength(3);
    const accepted = peer.accepted();
    for (const message of dropped) {
      expect(accepted.filter((m) => m.controlId === message.controlId)).toHaveLength(1);
    }
    expect(controlIds(accepted)).toEqual(reference);
    expect(peer.received().filter((m) => m.duplicate)).toEqual([]);
  });

  it('stops the run when the peer never answers, and delivers everything on the next run', async () => {
    const { workspace, peer } = await setUp();
    // Silent from the 15th message on (past the first batch): nothing more is answered.
    peer.setRules([{ pattern: /^MSH/, every: 1, reply: 'AA', times: 14 }, { reply: 'silence' }]);
    await expect(
      runSync(workspace, sandbox, pipeline(sandbox, peer, { ackTimeoutMs: 300 }), 'full'),
    ).rejects.toThrow(/no acknowledgment within 300 ms/);
    const silent = peer.received().filter((m) => m.reply === 'silence');
    // The same message, sent once and resent twice, each time under its control id.
    expect(silent).toHaveLength(3);
    expect(new Set(silent.map((m) => m.controlId)).size).toBe(1);
    expect(peer.accepted()).toHaveLength(14);

    peer.setRules([]);
    const summary = await runSync(workspace, sandbox, pipeline(sandbox, peer), 'full');
    expect(summary).toMatchObject({ resumed: true, deadLettered: 0 });
    expect(controlIds(peer.accepted())).toEqual(reference);
    // Nothing the peer took was taken again; the unanswered message came once more.
    expect(peer.received().filter((m) => m.duplicate)).toEqual([]);
  });

  it('delivers every message exactly once across a SIGKILL of the sync and a restart', async () => {
    const { workspace, peer } = await setUp();
    // Slow answers, so that the kill lands mid-run.
    peer.setRules([{ delayMs: 40 }]);
    await writeFile(join(workspace.dir, 'pipeline.yaml'), pipeline(sandbox, peer));
    const child = spawn(process.execPath, [bin, 'sync', '--config', 'pipeline.yaml'], {
      cwd: workspace.dir,
      env: { ...process.env, HC_TEST_SECRET: sandbox.clientSecret },
      stdio: 'ignore',
    });
    const exited = new Promise<NodeJS.Signals | null>((resolve) =>
      child.on('exit', (_code, signal) => resolve(signal)),
    );
    const half = Math.floor(reference.length / 2);
    for (let waited = 0; peer.received().length < half; waited += 20) {
      if (waited > 60_000) throw new Error('the sync did not get halfway in 60 s');
      await sleep(20);
    }
    child.kill('SIGKILL');
    expect(await exited).toBe('SIGKILL');
    const beforeRestart = peer.accepted().length;
    expect(beforeRestart).toBeLessThan(reference.length);

    peer.setRules([]);
    const summary = await runSync(workspace, sandbox, pipeline(sandbox, peer), 'full');
    expect(summary).toMatchObject({ resumed: true, deadLettered: 0 });
    expect(controlIds(peer.accepted())).toEqual(reference);
    // At most the message in flight at the kill is sent again; the peer recognises it.
    expect(peer.received().filter((m) => m.duplicate).length).toBeLessThanOrEqual(1);
  });
});
