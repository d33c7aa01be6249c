/**
 * Enhanced acknowledgment mode, end to end: the adapter's MLLP client and sink against the
 * peer answering with a commit acknowledgment, then (or not) the application acknowledgment.
 * Every message the sink sends, and every acknowledgment it answers with, is read by the
 * peer's own parser (`@medplum/core`).
 */
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { MllpClient, hl7v2Plugin, type OutboundMessage } from '@pmsbridge/adapter-hl7v2';
import {
  MemoryStateStore,
  silentLogger,
  type Provider,
  type Sink,
  type SyncRecord,
} from '@pmsbridge/core';
import {
  ManualClock,
  MemorySource,
  createPlugin,
  makeProvider,
  runPipeline,
} from '@pmsbridge/core/testing';
import { startHl7Peer, type Hl7Peer, type ReceivedMessage } from './hl7-peer.js';

const signal = () => AbortSignal.timeout(10_000);

let peer: Hl7Peer;
let closing: Array<{ close?: () => Promise<void> }>;

beforeEach(async () => {
  peer = await startHl7Peer();
  closing = [];
});

afterEach(async () => {
  for (const item of closing) await item.close?.();
  await peer.close();
});

/** The sink in enhanced mode (MSH-15 and MSH-16 `AL` unless overridden), pointed at the peer. */
async function sink(options: Record<string, unknown> = {}, state = new MemoryStateStore()) {
  const made = (await createPlugin(hl7v2Plugin, {
    options: {
      host: '127.0.0.1',
      port: peer.port,
      receivingApplication: 'PMS',
      acceptAcknowledgmentType: 'AL',
      applicationAcknowledgmentType: 'AL',
      ackTimeoutMs: 1_000,
      applicationAckTimeoutMs: 1_000,
      retryDelayMs: 1,
      maxRetries: 1,
      connectAttempts: 1,
      ...options,
    },
    name: 'pms',
    services: { state, clock: new ManualClock('2026-03-02T15:00:00.000Z') },
  })) as Sink;
  closing.push({ close: () => made.close?.({ completed: true }) ?? Promise.resolve() });
  return made;
}

function record(provider: Provider): SyncRecord {
  return {
    kind: 'provider',
    provider,
    window: { startDate: '2026-03-09', endDate: '2026-03-15' },
    slots: [],
  };
}

/** MSH-n of a received message, as `@medplum/core` reads it. */
const header = (message: ReceivedMessage | undefined, field: number) =>
  message?.message?.getSegment('MSH')?.getField(field)?.toString() ?? '';

describe('hl7v2 sink in enhanced acknowledgment mode', () => {
  it('waits past the CA for the AA, records the message and acknowledges no ACK', async () => {
    peer.setRules([{ enhanced: true, reply: 'AA', delayMs: 100 }]);
    const state = new MemoryStateStore();
    const first = await sink({}, state);
    const [outcome] = await first.write([record(makeProvider(1))], signal());
    expect(outcome).toMatchObject({ ok: true, counts: { MFN: { created: 1 } } });
    const [sent] = peer.received();
    expect(sent).toMatchObject({
      type: 'MFN^M02',
      reply: 'AA',
      applicationAck: { code: 'AA', commitAckRequested: false },
    });
    expect([header(sent, 15), header(sent, 16)]).toEqual(['AL', 'AL']);
    // The application acknowledgment asked for nothing back: nothing is sent back.
    expect(peer.acknowledgments()).toEqual([]);

    // Recorded: another sink over the same state has nothing to send.
    const again = await sink({}, state);
    await again.write([record(makeProvider(1))], signal());
    expect(peer.received()).toHaveLength(1);
  });

  it('dead-letters a message whose application acknowledgment is AE, with the ERR text', async () => {
    const bad = makeProvider(2);
    peer.setRules([
      { enhanced: true, pattern: bad.id, reply: 'AE', text: 'Unknown practitioner' },
      { enhanced: true, reply: 'AA' },
    ]);
    const state = new MemoryStateStore();
    const { summary } = await runPipeline({
      source: new MemorySource([makeProvider(1), bad, makeProvider(3)]),
      sinks: [await sink({}, state)],
      state,
    });
    expect(summary).toMatchObject({ written: 2, deadLettered: 1 });
    const [letter] = await state.listDeadLetters('test');
    expect(letter).toMatchObject({ key: bad.id, reason: { code: 'PMS_REMOTE' } });
    expect(letter?.reason.message).toMatch(
      /AE for \w+; Unknown practitioner; 207 Unknown practitioner/,
    );
    // Not sent again: an AE is a content error.
    expect(peer.received().filter((m) => m.raw.includes(bad.id))).toHaveLength(1);
  });

  it('sends again when no application acknowledgment follows the CA (MSH-16 AL), then stops the run', async () => {
    peer.setRules([{ enhanced: true, reply: 'silence' }]);
    const s = await sink({ applicationAckTimeoutMs: 200 });
    const failed = await s.write([record(makeProvider(1))], signal()).catch((e: unknown) => e);
    expect(failed).toMatchObject({ details: { failure: 'timeout' } });
    expect((failed as Error).message).toMatch(
      /committed \w+ \(CA\) but sent no application acknowledgment within 200 ms/,
    );
    const received = peer.received();
    expect(received).toHaveLength(2);
    expect(new Set(received.map((m) => m.controlId)).size).toBe(1);
  });

  it('takes a CA followed by silence as success when MSH-16 asks for errors only (ER)', async () => {
    peer.setRules([{ enhanced: true, reply: 'silence' }]);
    const state = new MemoryStateStore();
    const s = await sink(
      { applicationAcknowledgmentType: 'ER', applicationAckTimeoutMs: 200 },
      state,
    );
    const outcomes = await s.write([record(makeProvider(1)), record(makeProvider(2))], signal());
    expect(outcomes.map((o) => o.ok)).toEqual([true, true]);
    expect(peer.received().map((m) => header(m, 16))).toEqual(['ER', 'ER']);
    const again = await sink({ applicationAcknowledgmentType: 'ER' }, state);
    await again.write([record(makeProvider(1))], signal());
    expect(peer.received()).toHaveLength(2);
  });

  it('takes the CA as final when MSH-16 asks for no application acknowledgment', async () => {
    // A sink that waited for an application acknowledgment would time out and stop.
    peer.setRules([{ enhanced: true, reply: 'silence' }]);
    const s = await sink({ applicationAcknowledgmentType: 'NE', applicationAckTimeoutMs: 100 });
    const [outcome] = await s.write([record(makeProvider(1))], signal());
    expect(outcome?.ok).toBe(true);
  });

  it('fails the record on CE, without sending it again', async () => {
    peer.setRules([{ reply: 'CE', text: 'Could not store the message' }]);
    const s = await sink();
    const [outcome] = await s.write([record(makeProvider(1))], signal());
    expect(outcome).toMatchObject({ ok: false, error: { code: 'PMS_REMOTE' } });
    expect(outcome?.error?.message).toMatch(/CE for \w+; Could not store the message/);
    expect(peer.received()).toHaveLength(1);
  });

  it('sends again after CR, like AR, under the same control id', async () => {
    peer.setRules([
      { reply: 'CR', times: 1 },
      { enhanced: true, reply: 'AA' },
    ]);
    const s = await sink();
    const [outcome] = await s.write([record(makeProvider(1))], signal());
    expect(outcome?.ok).toBe(true);
    expect(peer.received().map((m) => m.reply)).toEqual(['CR', 'AA']);
    expect(new Set(peer.received().map((m) => m.controlId)).size).toBe(1);
  });

  it('answers an application acknowledgment that asks for a commit acknowledgment with CA', async () => {
    peer.setRules([{ enhanced: true, reply: 'AA', delayMs: 20, requestCommitAck: true }]);
    const s = await sink();
    const outcomes = await s.write([record(makeProvider(1)), record(makeProvider(2))], signal());
    expect(outcomes.map((o) => o.ok)).toEqual([true, true]);
    const sent = peer.received();
    expect(sent.map((m) => m.applicationAck?.commitAckRequested)).toEqual([true, true]);
    // The last CA may still be on its way when the write returns.
    const answers = await peer.acknowledgmentsReceived(2, signal());
    expect(answers.map((a) => [a.code, a.acknowledges])).toEqual(
      sent.map((m) => ['CA', m.applicationAck?.controlId]),
    );
    const [answer] = answers;
    const msh = answer?.message.getSegment('MSH');
    // Sender and receiver swapped, an ACK of the acknowledgment's trigger asking for nothing.
    expect(msh?.getField(3)?.toString()).toBe('PMSBRIDGE');
    expect(msh?.getField(5)?.toString()).toBe('PMS');
    expect(msh?.getField(9)?.toString()).toBe('ACK^M02^ACK');
    expect([msh?.getField(15)?.toString(), msh?.getField(16)?.toString()]).toEqual(['NE', 'NE']);
    expect(msh?.getField(10)?.toString()).toMatch(/^[0-9A-F]{20}$/);
  });
});

describe('MllpClient in enhanced acknowledgment mode', () => {
  function message(controlId: string, msh15 = 'AL', msh16 = 'AL'): OutboundMessage {
    return {
      text:
        `MSH|^~\\&|PMSBRIDGE||PMS||20260309090000||MFN^M02^MFN_M02|${controlId}|P|2.5.1` +
        `|||${msh15}|${msh16}||UNICODE UTF-8\rMFI|STF\r`,
      controlId,
      messageType: 'MFN^M02^MFN_M02',
      key: 'PRV1',
      charset: 'UNICODE UTF-8',
    };
  }

  function client(applicationAckTimeoutMs = 1_000) {
    const made = new MllpClient(
      {
        host: '127.0.0.1',
        port: peer.port,
        connectTimeoutMs: 1_000,
        ackTimeoutMs: 1_000,
        applicationAckTimeoutMs,
        reconnect: { attempts: 1, baseDelayMs: 1, maxDelayMs: 1 },
      },
      { logger: silentLogger },
    );
    closing.push(made);
    return made;
  }

  it('resolves to the application acknowledgment, also when it comes with the CA', async () => {
    // No delay: the CA and the AR are written back to back and usually arrive as one chunk.
    peer.setRules([{ enhanced: true, reply: 'AR', text: 'Busy' }]);
    const sender = client();
    const ack = await sender.send(message('C1'), signal());
    expect(ack).toMatchObject({ code: 'AR', level: 'application', controlId: 'C1' });
    peer.setRules([{ enhanced: true, reply: 'AA' }]);
    expect(await sender.send(message('C2'), signal())).toMatchObject({ code: 'AA' });
  });

  it('resolves to the CA when MSH-16 is empty, and to a CE as it comes', async () => {
    peer.setRules([{ enhanced: true, reply: 'silence', times: 1 }, { reply: 'CE' }]);
    const sender = client(5_000);
    expect(await sender.send(message('C1', 'AL', ''), signal())).toMatchObject({
      code: 'CA',
      level: 'commit',
      controlId: 'C1',
    });
    expect(await sender.send(message('C2'), signal())).toMatchObject({
      code: 'CE',
      outcome: 'error',
      controlId: 'C2',
    });
  });
});
