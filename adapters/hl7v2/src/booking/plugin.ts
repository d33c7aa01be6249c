import { defineBookingPort } from '@pmsbridge/core';
import { messageOptionsOf } from '../messages/message-options.js';
import { MllpClient } from '../mllp/mllp-client.js';
import { loadTls } from '../tls-options.js';
import { Hl7BookingOptionsSchema } from './booking-options.js';
import { Hl7BookingPort } from './hl7-booking-port.js';

/** The longest wait between two connection attempts. */
const MAX_CONNECT_DELAY_MS = 30_000;

/**
 * `@pmsbridge/adapter-hl7v2/booking`: `pmsbridge serve` books appointments in a
 * practice-management system over HL7 v2 and MLLP (config `booking: { use:
 * '@pmsbridge/adapter-hl7v2/booking', options: { host, port } }`).
 */
export const hl7BookingPlugin = defineBookingPort({
  id: '@pmsbridge/adapter-hl7v2/booking',
  options: Hl7BookingOptionsSchema,
  needs: { logger: 'logger', clock: 'clock' },
  create: ({ options, name, entry, baseDir, services: { logger, clock } }) => {
    const log = logger.child({ booking: name });
    const tls = loadTls(options.tls, baseDir, entry);
    const client = new MllpClient(
      {
        host: options.host,
        port: options.port,
        ...(tls === undefined ? {} : { tls }),
        connectTimeoutMs: options.connectTimeoutMs,
        ackTimeoutMs: options.ackTimeoutMs,
        reconnect: {
          attempts: options.connectAttempts,
          baseDelayMs: Math.max(options.retryDelayMs, 1),
          maxDelayMs: MAX_CONNECT_DELAY_MS,
        },
      },
      { logger: log },
    );
    return new Hl7BookingPort(
      { name, slotTakenErrorCodes: options.slotTakenErrorCodes },
      { client, messages: { options: messageOptionsOf(options), clock }, logger: log },
    );
  },
});

export default hl7BookingPlugin;
