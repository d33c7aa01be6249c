import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { connect, type Socket } from 'node:net';
import { FrameDecoder, encodeBytes, frame, parseAck, type Hl7Ack } from '@pmsbridge/adapter-hl7v2';
import { startHl7Peer, type Hl7Peer } from './hl7-peer.js';
import { RuleBook } from './reply-rules.js';

/** A message as a sender writes it, with MSH-9, MSH-10 and MSH-18 of the caller's choice. */
function message(type: string, controlId: string, body = 'STF|P1|x', charset = 'UNICODE UTF-8') {
  return (
    `MSH|^~\\&|PMSBRIDGE|CLINIC|PMS|MAIN|20260309090000||${type}|${controlId}|P|2.5.1` +
    `||||||${charset}\r${body}\r`
  );
}

/** What came back on a connection: an acknowledgment, the connection closing, or nothing. */
type Outcome = { ack: Hl7Ack; text: string } | 'closed' | 'nothing';

/** A bare MLLP client: one connection, one outcome per message. */
class Sender {
  readonly #socket: Socket;
  readonly #decoder = new FrameDecoder();
  readonly #frames: string[] = [];
  #closed = false;
  #wake: () => void = () => undefined;

  private constructor(socket: Socket) {
    this.#socket = socket;
    socket.on('data', (chunk) => {
      for (const bytes of this.#decoder.push(chunk)) this.#frames.push(bytes.toString('latin1'));
      this.#wake();
    });
    socket.on('close', () => {
      this.#closed = true;
      this.#wake();
    });
    socket.on('error', () => undefined);
  }

  static open(port: number): Promise<Sender> {
    return new Promise((resolve, reject) => {
      const socket = connect(port, '127.0.0.1', () => resolve(new Sender(socket)));
      socket.once('error', reject);
    });
  }

  async send(text: string, waitMs = 2_000, bytes = encodeBytes(text, 'UNICODE UTF-8')) {
    this.#socket.write(frame(bytes));
    const deadline = Date.now() + waitMs;
    for (;;) {
      const reply = this.#frames.shift();
      if (reply !== undefined) return { ack: parseAck(reply), text: reply } satisfies Outcome;
      if (this.#closed) return 'closed' satisfies Outcome;
      const left = deadline - Date.now();
      if (left <= 0) return 'nothing' satisfies Outcome;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.#wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
    }
  }

  close(): void {
    this.#socket.destroy();
  }
}

const code = (outcome: Outcome) => (typeof outcome === 'string' ? outcome : outcome.ack.code);

let peer: Hl7Peer;
let sender: Sender;

beforeEach(async () => {
  peer = await startHl7Peer();
  sender = await Sender.open(peer.port);
});

afterEach(async () => {
  sender.close();
  await peer.close();
});

describe('startHl7Peer', () => {
  it('answers AA for the control id and keeps type, control id, raw text and the parse', async () => {
    const text = message('MFN^M02^MFN_M02', 'C0001');
    const outcome = await sender.send(text);
    expect(outcome).not.toBe('closed');
    expect(outcome).not.toBe('nothing');
    const { ack } = outcome as { ack: Hl7Ack };
    expect(ack).toMatchObject({ code: 'AA', outcome: 'accepted', controlId: 'C0001' });
    const [stored] = peer.received();
    expect(stored).toMatchObject({ type: 'MFN^M02', controlId: 'C0001', raw: text, reply: 'AA' });
    expect(stored?.message?.getSegment('STF')?.getField(1)?.toString()).toBe('P1');
  });

  it('answers by message type: AE with the rule text, AA for the other types', async () => {
    peer.setRules([{ messageType: 'SIU^S24', reply: 'AE', text: 'Unknown practitioner' }]);
    const mfn = await sender.send(message('MFN^M02', 'C1'));
    const siu = await sender.send(message('SIU^S24^SIU_S12', 'C2'));
    expect(code(mfn)).toBe('AA');
    expect(code(siu)).toBe('AE');
    const { ack } = siu as { ack: Hl7Ack };
    expect(ack.controlId).toBe('C2');
    expect(ack.summary).toContain('Unknown practitioner');
    expect(peer.received().map((m) => [m.type, m.reply])).toEqual([
      ['MFN^M02', 'AA'],
      ['SIU^S24', 'AE'],
    ]);
  });

  it('matches the message code alone and a pattern on the raw text', async () => {
    peer.setRules([
      { messageType: 'SIU', pattern: /STF\|P2\|/, reply: 'AR' },
      { pattern: 'P3', reply: 'AE' },
    ]);
    expect(code(await sender.send(message('SIU^S23', 'C1', 'STF|P2|x')))).toBe('AR');
    expect(code(await sender.send(message('MFN^M02', 'C2', 'STF|P2|x')))).toBe('AA');
    expect(code(await sender.send(message('MFN^M02', 'C3', 'STF|P3|x')))).toBe('AE');
  });

  it('applies a rule a limited number of times: AR, then AA for the same message', async () => {
    peer.setRules([{ pattern: 'STF|P1|', reply: 'AR', times: 1 }]);
    const text = message('MFN^M02', 'C1');
    expect(code(await sender.send(text))).toBe('AR');
    expect(code(await sender.send(text))).toBe('AA');
    expect(peer.received().map((m) => `${m.controlId} ${m.reply}`)).toEqual(['C1 AR', 'C1 AA']);
  });

  it('acknowledges a resend of an accepted control id again, and takes the message once', async () => {
    peer.setRules([{ pattern: 'STF|P1|', reply: 'AR', times: 1 }]);
    const text = message('MFN^M02', 'C1');
    expect(code(await sender.send(text))).toBe('AR');
    expect(code(await sender.send(text))).toBe('AA');
    expect(code(await sender.send(text))).toBe('AA');
    expect(code(await sender.send(message('MFN^M02', 'C2')))).toBe('AA');
    expect(peer.received().map((m) => `${m.controlId} ${m.reply} ${m.duplicate}`)).toEqual([
      'C1 AR false',
      'C1 AA false',
      'C1 AA true',
      'C2 AA false',
    ]);
    expect(peer.accepted().map((m) => m.controlId)).toEqual(['C1', 'C2']);
  });

  it('applies a rule to every n-th matching message', async () => {
    peer.setRules([{ messageType: 'MFN^M02', every: 3, reply: 'AR' }]);
    const codes = [];
    for (let n = 1; n <= 7; n++) codes.push(code(await sender.send(message('MFN^M02', `C${n}`))));
    expect(codes).toEqual(['AA', 'AA', 'AR', 'AA', 'AA', 'AR', 'AA']);
  });

  it('answers late by the rule delay', async () => {
    peer.setRules([{ reply: 'AA', delayMs: 300 }]);
    const started = Date.now();
    expect(code(await sender.send(message('MFN^M02', 'C1')))).toBe('AA');
    expect(Date.now() - started).toBeGreaterThanOrEqual(280);
  });

  it('drops the connection, or keeps it open and says nothing', async () => {
    peer.setRules([{ messageType: 'SIU^S24', reply: 'silence' }, { reply: 'drop' }]);
    expect(await sender.send(message('SIU^S24', 'C1'), 300)).toBe('nothing');
    expect(await sender.send(message('MFN^M02', 'C2'))).toBe('closed');
    expect(peer.received().map((m) => m.reply)).toEqual(['silence', 'drop']);
  });

  it('starts the counters again when the rules are replaced', async () => {
    const rules = [{ every: 2, reply: 'AE' as const }];
    peer.setRules(rules);
    expect(code(await sender.send(message('MFN^M02', 'C1')))).toBe('AA');
    peer.setRules(rules);
    expect(code(await sender.send(message('MFN^M02', 'C2')))).toBe('AA');
    expect(code(await sender.send(message('MFN^M02', 'C3')))).toBe('AE');
  });

  it('reads a message in its MSH-18 charset', async () => {
    const text = message('MFN^M02', 'C1', 'STF|P1|Núñez', '8859/1');
    expect(code(await sender.send(text, 2_000, encodeBytes(text, '8859/1')))).toBe('AA');
    expect(peer.received()[0]?.raw).toContain('Núñez');
  });

  it('keeps a frame that is not a message, with the reason, and closes the connection', async () => {
    expect(await sender.send('PID|1||x\r')).toBe('closed');
    expect(peer.received()).toEqual([
      expect.objectContaining({ type: '', reply: 'drop', error: expect.any(String) }),
    ]);
  });

  it('answers CE and CR with the rule text', async () => {
    peer.setRules([{ reply: 'CE', text: 'Store full', times: 1 }, { reply: 'CR' }]);
    const ce = await sender.send(message('MFN^M02', 'C1'));
    const cr = await sender.send(message('MFN^M02', 'C2'));
    expect([code(ce), code(cr)]).toEqual(['CE', 'CR']);
    expect((ce as { ack: Hl7Ack }).ack).toMatchObject({ level: 'commit', controlId: 'C1' });
    expect((ce as { ack: Hl7Ack }).ack.summary).toContain('Store full');
  });

  it('keeps an ACK it receives without answering it or counting it against a rule', async () => {
    peer.setRules([{ reply: 'AE', times: 1 }]);
    const ack = message('ACK^M02^ACK', 'K1', 'MSA|CA|HL7PEER000001');
    expect(await sender.send(ack, 300)).toBe('nothing');
    expect(peer.acknowledgments()).toEqual([
      expect.objectContaining({ code: 'CA', acknowledges: 'HL7PEER000001', controlId: 'K1' }),
    ]);
    expect(peer.received()).toEqual([]);
    expect(code(await sender.send(message('MFN^M02', 'C1')))).toBe('AE');
  });

  it('serves several connections, each with its own replies', async () => {
    const other = await Sender.open(peer.port);
    try {
      expect(code(await other.send(message('MFN^M02', 'B1')))).toBe('AA');
      expect(code(await sender.send(message('MFN^M02', 'A1')))).toBe('AA');
    } finally {
      other.close();
    }
    expect(peer.received().map((m) => m.controlId)).toEqual(['B1', 'A1']);
  });
});

describe('RuleBook', () => {
  it('refuses counts and delays out of range', () => {
    expect(() => new RuleBook([{ every: 0 }])).toThrow(RangeError);
    expect(() => new RuleBook([{ times: -1 }])).toThrow(RangeError);
    expect(() => new RuleBook([{ delayMs: -5 }])).toThrow(RangeError);
  });

  it('refuses an enhanced reply that is a commit acknowledgment, and a commit request without one', () => {
    expect(() => new RuleBook([{ enhanced: true, reply: 'CR' }])).toThrow(RangeError);
    expect(() => new RuleBook([{ reply: 'AA', requestCommitAck: true }])).toThrow(RangeError);
  });

  it('says when a reply is enhanced and asks for a commit acknowledgment', () => {
    const rules = new RuleBook([{ enhanced: true, reply: 'AE', requestCommitAck: true }]);
    expect(rules.decide({ type: 'MFN^M02', raw: '' })).toMatchObject({
      action: 'AE',
      enhanced: true,
      requestCommitAck: true,
    });
  });

  it('answers AA when no rule decides', () => {
    expect(new RuleBook().decide({ type: 'MFN^M02', raw: '' })).toEqual({
      action: 'AA',
      delayMs: 0,
      text: '',
    });
  });
});
