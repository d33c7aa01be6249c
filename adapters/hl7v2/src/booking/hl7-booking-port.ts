import type { BookingPort, Logger, PartnerBookingRequest, PartnerOutcome } from '@pmsbridge/core';
import { contentId } from '../codec/control-id.js';
import type { OutboundMessage } from '../codec/outbound-message.js';
import type { Hl7Reply } from '../messages/ack.js';
import type { MessageContext } from '../messages/message-options.js';
import { QUERY_ID_LENGTH, buildScheduleQuery } from '../messages/schedule-query.js';
import {
  buildBookingRequest,
  buildCancellationRequest,
  type HeldBooking,
} from '../messages/scheduling-request.js';
import {
  readBookingResponse,
  readCancellationResponse,
  readScheduleQueryResponse,
} from '../messages/scheduling-response.js';

/** What the port sends through: an `MllpClient`, one message outstanding at a time. */
export interface Hl7Requester {
  /** Sends a message and resolves to the reply that answers it; rejects when none came. */
  request(message: OutboundMessage, signal: AbortSignal): Promise<Hl7Reply>;
  close(): Promise<void>;
}

/** Options of {@link Hl7BookingPort}. */
export interface Hl7BookingPortOptions {
  /** The partner's name in bookings and logs. */
  readonly name: string;
  /** HL7 error codes of an `AE`/`AR` that mean the slot is taken. */
  readonly slotTakenErrorCodes: readonly string[];
}

/** Collaborators of {@link Hl7BookingPort}. */
export interface Hl7BookingPortDeps {
  readonly client: Hl7Requester;
  /** The message options and the clock that stamps MSH-7 and QRD-1. */
  readonly messages: MessageContext;
  readonly logger: Logger;
}

/**
 * Books in a practice-management system over HL7 v2: `SRM^S01` answered by `SRR^S01` (`AA`
 * booked, with the filler's SCH-2 as the partner id; `AE`/`AR` refused — `slot_unavailable`
 * when an error code says the slot is taken, else `rejected`), `SRM^S04` to cancel, and an
 * `SQM^S25` schedule query by placer appointment id to find a booking whose answer was lost.
 * No answer in time, or a dropped connection, throws (the outcome is unknown); no connection
 * throws the client's `PMS_NET_UNREACHABLE`. The patient's data travels in the `SRM^S01` only
 * and is never logged: log lines carry the reference, control id and acknowledgment code.
 */
export class Hl7BookingPort implements BookingPort {
  readonly name: string;
  readonly #options: Hl7BookingPortOptions;
  readonly #deps: Hl7BookingPortDeps;
  /** Tells apart two lookups of one reference within the same millisecond. */
  #queries = 0;

  constructor(options: Hl7BookingPortOptions, deps: Hl7BookingPortDeps) {
    this.name = options.name;
    this.#options = options;
    this.#deps = deps;
  }

  async book(request: PartnerBookingRequest, signal: AbortSignal): Promise<PartnerOutcome> {
    const message = buildBookingRequest(request, this.#deps.messages);
    const reply = await this.#exchange(message, request.reference, signal);
    const outcome = readBookingResponse(
      reply,
      request.reference,
      this.#options.slotTakenErrorCodes,
    );
    this.#deps.logger.info('hl7 booking answered', {
      reference: request.reference,
      controlId: message.controlId,
      ack: reply.ack.code,
      outcome: outcome.status === 'booked' ? 'booked' : outcome.code,
    });
    return outcome;
  }

  async find(reference: string, signal: AbortSignal): Promise<PartnerOutcome | undefined> {
    const { clock } = this.#deps.messages;
    this.#queries += 1;
    const queryId = contentId([reference, clock.now().toISOString(), String(this.#queries)]).slice(
      0,
      QUERY_ID_LENGTH,
    );
    const message = buildScheduleQuery({ reference, queryId }, this.#deps.messages);
    const reply = await this.#exchange(message, reference, signal);
    const found = readScheduleQueryResponse(reply, reference);
    this.#deps.logger.debug('hl7 booking looked up', {
      reference,
      controlId: message.controlId,
      found: found !== undefined,
    });
    return found;
  }

  async cancel(booking: HeldBooking, signal: AbortSignal): Promise<void> {
    const message = buildCancellationRequest(booking, this.#deps.messages);
    const reply = await this.#exchange(message, booking.reference, signal);
    readCancellationResponse(reply, booking.reference);
    this.#deps.logger.info('hl7 booking cancelled', {
      reference: booking.reference,
      controlId: message.controlId,
    });
  }

  async close(): Promise<void> {
    await this.#deps.client.close();
  }

  async #exchange(
    message: OutboundMessage,
    reference: string,
    signal: AbortSignal,
  ): Promise<Hl7Reply> {
    this.#deps.logger.debug('hl7 booking message sent', {
      reference,
      type: message.messageType,
      controlId: message.controlId,
    });
    return this.#deps.client.request(message, signal);
  }
}
