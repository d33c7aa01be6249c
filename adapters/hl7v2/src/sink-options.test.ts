import { describe, expect, it } from '@jest/globals';
import { createPlugin } from '@pmsbridge/core/testing';
import { hl7v2Plugin } from './plugin.js';
import { Hl7SinkOptionsSchema } from './sink-options.js';

const mllp = { host: 'pms', port: 2575 };

describe('Hl7SinkOptionsSchema, acknowledgment mode', () => {
  it('defaults to original mode and a 30 s wait for an application acknowledgment', () => {
    const options = Hl7SinkOptionsSchema.parse(mllp);
    expect(options.acceptAcknowledgmentType).toBeUndefined();
    expect(options.applicationAcknowledgmentType).toBeUndefined();
    expect(options.applicationAckTimeoutMs).toBe(30_000);
  });

  it.each([
    [{ ...mllp, acceptAcknowledgmentType: 'AL', applicationAcknowledgmentType: 'AL' }],
    [{ ...mllp, acceptAcknowledgmentType: 'AL', applicationAcknowledgmentType: 'ER' }],
    [{ ...mllp, acceptAcknowledgmentType: 'NE', applicationAcknowledgmentType: 'AL' }],
    [{ ...mllp, acceptAcknowledgmentType: 'ER', applicationAcknowledgmentType: 'SU' }],
    [{ ...mllp, acceptAcknowledgmentType: 'SU' }],
    // A batch file is not answered over a connection.
    [{ mode: 'file', outputDir: 'out', acceptAcknowledgmentType: 'NE' }],
  ])('takes %j', (options) => {
    expect(Hl7SinkOptionsSchema.safeParse(options).success).toBe(true);
  });

  it.each([
    [{ acceptAcknowledgmentType: 'XX' }, 'sinks[0].options.acceptAcknowledgmentType'],
    [{ applicationAcknowledgmentType: 'always' }, 'sinks[0].options.applicationAcknowledgmentType'],
    [{ applicationAckTimeoutMs: 0 }, 'sinks[0].options.applicationAckTimeoutMs'],
    [
      { acceptAcknowledgmentType: 'NE' },
      "sinks[0].options.acceptAcknowledgmentType: acceptAcknowledgmentType 'NE' with applicationAcknowledgmentType '(empty)' asks",
    ],
    [
      { acceptAcknowledgmentType: 'ER', applicationAcknowledgmentType: 'ER' },
      "acceptAcknowledgmentType 'ER' with applicationAcknowledgmentType 'ER'",
    ],
  ])('names the field an options error is about: %j', async (options, message) => {
    await expect(createPlugin(hl7v2Plugin, { options: { ...mllp, ...options } })).rejects.toThrow(
      message,
    );
  });
});
