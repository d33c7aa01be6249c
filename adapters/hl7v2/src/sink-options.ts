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

/** MSH-16 values under which a message the peer took is answered (table 0155). */
const ANSWERED_ON_SUCCESS = ['AL', 'SU'];

/**
 * Options of the `@pmsbridge/adapter-hl7v2` sink: the mode (`mllp`, the default, or `file`),
 * the peer (`host`, `port`, `tls`) or the directory (`outputDir`), the acknowledgment timeouts
 * and retries, and every message option (version, charset, MSH-3 to MSH-6, MSH-15/16, master
 * file, visit types…). A field the mode needs and lacks, or one of the other mode, is an issue
 * on that field; so is an MSH-15 under which a message the peer took gets no answer at all.
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
  /**
   * Enhanced mode: after a commit accept (`CA`), how long to wait for the application
   * acknowledgment MSH-16 asks for (under `ER`, silence this long is success).
   */
  applicationAckTimeoutMs: z.number().int().positive().default(30_000),
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
  const accept = options.acceptAcknowledgmentType;
  const application = options.applicationAcknowledgmentType ?? '';
  const isUnanswered =
    (accept === 'NE' || accept === 'ER') && !ANSWERED_ON_SUCCESS.includes(application);
  if (options.mode === 'mllp' && isUnanswered) {
    ctx.addIssue({
      code: 'custom',
      path: ['acceptAcknowledgmentType'],
      message: `acceptAcknowledgmentType '${accept}' with applicationAcknowledgmentType '${application || '(empty)'}' asks the practice-management system not to answer a message it took, and the sink waits for an answer to each: use 'AL' (or 'SU') for one of them`,
    });
  }
});

/** Parsed sink options, defaults applied. */
export type Hl7SinkOptions = z.infer<typeof Hl7SinkOptionsSchema>;
