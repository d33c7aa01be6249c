/** MLLP start block: vertical tab. */
export const START_BLOCK = 0x0b;
/** MLLP end block: file separator, followed by {@link CARRIAGE_RETURN}. */
export const END_BLOCK = 0x1c;
/** The byte after {@link END_BLOCK} that closes a frame. */
export const CARRIAGE_RETURN = 0x0d;

/** A message's bytes in an MLLP frame: `0x0B`, the message, `0x1C 0x0D`. */
export function frame(message: Uint8Array): Buffer {
  return Buffer.concat([Buffer.of(START_BLOCK), message, Buffer.of(END_BLOCK, CARRIAGE_RETURN)]);
}

/**
 * Reassembles MLLP frames from the chunks a socket delivers: a frame may arrive in pieces, and
 * one chunk may hold several frames. Bytes outside a frame (before a start block) are dropped.
 */
export class FrameDecoder {
  #pending: Buffer = Buffer.alloc(0);

  /** Adds a chunk; returns the payload of every frame it completed, in order. */
  push(chunk: Uint8Array): Buffer[] {
    this.#pending = Buffer.concat([this.#pending, chunk]);
    const frames: Buffer[] = [];
    for (;;) {
      const start = this.#pending.indexOf(START_BLOCK);
      if (start < 0) {
        this.#pending = Buffer.alloc(0);
        return frames;
      }
      const end = this.#findEnd(start + 1);
      if (end < 0) {
        this.#pending = this.#pending.subarray(start);
        return frames;
      }
      frames.push(Buffer.from(this.#pending.subarray(start + 1, end)));
      this.#pending = this.#pending.subarray(end + 2);
    }
  }

  /** Forgets a partial frame, e.g. after the connection was replaced. */
  reset(): void {
    this.#pending = Buffer.alloc(0);
  }

  #findEnd(from: number): number {
    let at = this.#pending.indexOf(END_BLOCK, from);
    while (at >= 0 && at + 1 < this.#pending.length) {
      if (this.#pending[at + 1] === CARRIAGE_RETURN) return at;
      at = this.#pending.indexOf(END_BLOCK, at + 1);
    }
    return -1;
  }
}
