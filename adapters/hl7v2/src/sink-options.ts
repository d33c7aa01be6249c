import { z } from 'zod';
import { Hl7MessageOptionsSchema } from './messages/message-options.js';
import { TlsOptionsSchema } from './tls-options.js';

/** How the sink delivers: over MLLP to a listener, or as batch files in a directory. */
export const HL7_SINK_MODES = ['mllp', 'file'] as const;

/** The options each mode needs, and those that only mean something in the other one. */
const MODE_FIELDS = {
  mllp: { required: ['host', 'port'], refused: ['outputDir'] },
  file: { required: ['outputDir'], refused: ['host', 'port', 'tls'] },
} as const;

/**
 * Options of the `@pmsbridge/adapter-hl7v2` sink: the mode (`mllp`, the default, or `file`),
 * the peer (`host`, `port`, `tls`) or the directory (`outputDir`), the acknowledgment timeout
 * and retries, and every message option (version, charset, MSH-3 to MSH-6, master file, visit
 * types…). A field the mode needs and lacks, or one of the other mode, is an issue on that
 * field.
 */
export const Hl7SinkOptionsSchema = Hl7MessageOptionsSchema.extend({
  mode: z.enum(HL7_SINK_MODES).default('mllp'),
  host: z.string().min(1).optional(),
  // Coerced: a config may give it as `${HL7_MLLP_PORT}`, which substitutes text.
  port: z.coerce.number().int().min(1).max(65_535).optional(),
  tls: TlsOptionsSchema.optional(),
  /** File mode: the directory the batch files go to (relative to the config file). */
  outputDir: z.string().min(1).optional(),
  /** How long to wait for each message's acknowledgment. */
  ackTimeoutMs: z.number().int().positive().default(10_000),
  /** How long a connection attempt may take. */
  connectTimeoutMs: z.number().int().positive().default(10_000),
  /** Sends again after an `AR`, a timeout or a dropped connection, this many times. */
  maxRetries: z.number().int().min(0).max(20).default(3),
  /** Wait before sending again; doubles with each retry. */
  retryDelayMs: z.number().int().min(0).default(1_000),
  /** Connection attempts (with doubling backoff from `retryDelayMs`) before the run stops. */
  connectAttempts: z.number().int().min(1).max(20).default(5),
}).superRefine((options, ctx) => {
  const { required, refused } = MODE_FIELDS[options.mode];
  for (const field of required) {
    if (options[field] === undefined) {
      ctx.addIssue({
        code: 'custom',
        path: [field],
        message: `${field} is required when mode is '${options.mode}'`,
      });
    }
  }
  for (const field of refused) {
    if (options[field] !== undefined) {
      ctx.addIssue({
        code: 'custom',
        path: [field],
        message: `${field} does not apply when mode is '${options.mode}'`,
      });
    }
  }
});

/** Parsed sink options, defaults applied. */
export type Hl7SinkOptions = z.infer<typeof Hl7SinkOptionsSchema>;
