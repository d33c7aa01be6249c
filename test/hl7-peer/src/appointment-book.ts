/** An appointment the peer holds, as the filler application keeps it. */
export interface PeerBooking {
  /** ARQ-1: the placer's id (pmsbridge's booking reference). */
  placerId: string;
  /** The peer's own id, answered in SCH-2 (`APT1`, `APT2`, …). */
  fillerId: string;
  /** The practitioner's id (AIP-3.1, the NPI) and the start (AIS-4): what makes the slot. */
  practitioner: string;
  start: string;
  /** pmsbridge's slot id (RGS-3), the location (AIL-3.1) and the service code (AIS-3.1). */
  slotId: string;
  location: string;
  service: string;
  /** Filler status (table 0278). */
  status: 'Booked' | 'Cancelled';
  /** MSH-10 of the `SRM^S01` that made it. */
  controlId: string;
}

/** What a booking request asks for. */
export type AppointmentRequest = Omit<PeerBooking, 'fillerId' | 'status'>;

/** What the book did with a request. */
export type BookOutcome =
  | { result: 'booked'; booking: PeerBooking }
  /** The placer id is already booked: the same appointment, not a second. */
  | { result: 'resent'; booking: PeerBooking }
  /** Another active appointment holds the practitioner at that start. */
  | { result: 'slot-taken'; holder: PeerBooking }
  /** The placer id was booked and cancelled: it cannot book again. */
  | { result: 'placer-id-cancelled'; booking: PeerBooking };

/**
 * The peer's appointment book: appointments by placer id, at most one active appointment per
 * slot — a practitioner (AIP-3.1) at a start time (AIS-4).
 */
export class AppointmentBook {
  readonly #byPlacerId = new Map<string, PeerBooking>();
  #next = 1;

  /** Books a request, unless its placer id is known or its slot is held by another. */
  book(request: AppointmentRequest): BookOutcome {
    const known = this.#byPlacerId.get(request.placerId);
    if (known?.status === 'Booked') return { result: 'resent', booking: known };
    if (known !== undefined) return { result: 'placer-id-cancelled', booking: known };
    const holder = [...this.#byPlacerId.values()].find(
      (b) =>
        b.status === 'Booked' &&
        b.practitioner === request.practitioner &&
        b.start === request.start,
    );
    if (holder !== undefined) return { result: 'slot-taken', holder };
    const booking: PeerBooking = {
      ...request,
      fillerId: `APT${this.#next++}`,
      status: 'Booked',
    };
    this.#byPlacerId.set(booking.placerId, booking);
    return { result: 'booked', booking };
  }

  /** Cancels the appointment of a placer id (again: no change); undefined when unknown. */
  cancel(placerId: string): PeerBooking | undefined {
    const booking = this.#byPlacerId.get(placerId);
    if (booking !== undefined) booking.status = 'Cancelled';
    return booking;
  }

  /** The appointment of a placer id, whatever its status. */
  find(placerId: string): PeerBooking | undefined {
    return this.#byPlacerId.get(placerId);
  }

  /** Every appointment, in booking order (copies). */
  list(): PeerBooking[] {
    return [...this.#byPlacerId.values()].map((b) => ({ ...b }));
  }
}
