import { describe, expect, it } from '@jest/globals';
import { CARRIAGE_RETURN, END_BLOCK, FrameDecoder, START_BLOCK, frame } from './framing.js';

const text = (frames: Buffer[]) => frames.map((f) => f.toString('latin1'));

describe('MLLP framing', () => {
  it('wraps a message in a start block and an end block followed by a carriage return', () => {
    const framed = frame(Buffer.from('MSH|^~\\&\r'));
    expect([...framed.subarray(0, 1)]).toEqual([START_BLOCK]);
    expect([...framed.subarray(-2)]).toEqual([END_BLOCK, CARRIAGE_RETURN]);
    expect(framed.subarray(1, -2).toString()).toBe('MSH|^~\\&\r');
  });

  it('reassembles a frame delivered one byte at a time', () => {
    const decoder = new FrameDecoder();
    const bytes = frame(Buffer.from('MSH|a\rPID|b\r'));
    const out: Buffer[] = [];
    for (const byte of bytes) out.push(...decoder.push(Buffer.of(byte)));
    expect(text(out)).toEqual(['MSH|a\rPID|b\r']);
  });

  it('returns every frame of a chunk, in order, and keeps the partial one for later', () => {
    const decoder = new FrameDecoder();
    const third = frame(Buffer.from('three'));
    const chunk = Buffer.concat([
      frame(Buffer.from('one')),
      frame(Buffer.from('two')),
      third.subarray(0, 3),
    ]);
    expect(text(decoder.push(chunk))).toEqual(['one', 'two']);
    expect(text(decoder.push(third.subarray(3)))).toEqual(['three']);
  });

  it('waits for the carriage return when a chunk ends on the end block', () => {
    const decoder = new FrameDecoder();
    const bytes = frame(Buffer.from('msg'));
    expect(decoder.push(bytes.subarray(0, -1))).toEqual([]);
    expect(text(decoder.push(bytes.subarray(-1)))).toEqual(['msg']);
  });

  it('keeps an end block not followed by a carriage return as part of the message', () => {
    const decoder = new FrameDecoder();
    const payload = Buffer.concat([Buffer.from('a'), Buffer.of(END_BLOCK), Buffer.from('b')]);
    expect(decoder.push(frame(payload))).toEqual([payload]);
  });

  it('drops bytes outside a frame, and a partial frame on reset', () => {
    const decoder = new FrameDecoder();
    expect(
      text(decoder.push(Buffer.concat([Buffer.from('noise\r\n'), frame(Buffer.from('x'))]))),
    ).toEqual(['x']);
    decoder.push(frame(Buffer.from('cut off')).subarray(0, 4));
    decoder.reset();
    expect(text(decoder.push(frame(Buffer.from('y'))))).toEqual(['y']);
  });

  it('carries any byte of a charset unchanged (UTF-8 and ISO 8859-1)', () => {
    const decoder = new FrameDecoder();
    const utf8 = Buffer.from('STF|Zoë Müller\r', 'utf8');
    const latin1 = Buffer.from('STF|Zoë Müller\r', 'latin1');
    expect(decoder.push(Buffer.concat([frame(utf8), frame(latin1)]))).toEqual([utf8, latin1]);
  });
});
