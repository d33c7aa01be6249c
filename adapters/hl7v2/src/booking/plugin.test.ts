import { describe, expect, it } from '@jest/globals';
import { createPlugin } from '@pmsbridge/core/testing';
import { Hl7BookingOptionsSchema } from './booking-options.js';
import { Hl7BookingPort } from './hl7-booking-port.js';
import { hl7BookingPlugin } from './plugin.js';

describe('@pmsbridge/adapter-hl7v2/booking', () => {
  it('creates the HL7 v2 booking port, named after its entry, without connecting', async () => {
    const port = await createPlugin(hl7BookingPlugin, {
      options: { host: '127.0.0.1', port: '2576', receivingApplication: 'PMS' },
      name: 'pms-booking',
    });
    expect(port).toBeInstanceOf(Hl7BookingPort);
    expect(port.name).toBe('pms-booking');
    await port.close?.();
  });

  it('defaults the timeouts, attempts and the slot-taken code, and takes the port as text', () => {
    expect(Hl7BookingOptionsSchema.parse({ host: 'pms', port: '2576' })).toMatchObject({
      port: 2576,
      version: '2.5.1',
      ackTimeoutMs: 10_000,
      connectTimeoutMs: 5_000,
      connectAttempts: 2,
      slotTakenErrorCodes: ['205'],
    });
  });

  it('refuses a missing host, and the options booking does not offer', async () => {
    await expect(createPlugin(hl7BookingPlugin, { options: { port: 2576 } })).rejects.toThrow(
      /host/,
    );
    await expect(
      createPlugin(hl7BookingPlugin, {
        options: { host: 'pms', port: 2576, acceptAcknowledgmentType: 'AL' },
      }),
    ).rejects.toThrow(/acceptAcknowledgmentType/);
  });
});
