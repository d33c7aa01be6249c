/** What the peer does with a message: an acknowledgment code, or no acknowledgment at all. */
export type PeerAction =
  /** Application Accept. */
  | 'AA'
  /** Application Error, with an ERR segment carrying the rule's `text`. */
  | 'AE'
  /** Application Reject, with an ERR segment carrying the rule's `text`. */
  | 'AR'
  /** Commit Error (enhanced mode: not stored), with an ERR segment carrying the rule's `text`. */
  | 'CE'
  /** Commit Reject (enhanced mode: not stored, may be sent again), with the rule's `text`. */
  | 'CR'
  /** No reply; the connection stays open (the sender's ACK timeout runs out). */
  | 'silence'
  /** No reply; the connection is closed at once. */
  | 'drop';

/**
 * One reply rule. A rule matches a message when every condition it sets holds; the first rule
 * that matches and still applies decides the reply, and a message no rule decides is answered
 * `AA` at once.
 */
export interface PeerRule {
  /** MSH-9 as `code^event` (`MFN^M02`, `SIU^S24`), or the code alone (`SIU`). */
  messageType?: string;
  /** Tested on the raw message text (segments separated by `\r`). */
  pattern?: RegExp | string;
  /** Applies to every n-th matching message only (1: every one; 3: the 3rd, 6th, …). */
  every?: number;
  /** Applies to the first `times` messages it matches (after `every`), then no more. */
  times?: number;
  /** What to answer; default `AA`. */
  reply?: PeerAction;
  /** Waits this long before answering (or dropping); with `enhanced`, between the CA and `reply`. */
  delayMs?: number;
  /** ERR-8 and MSA-3 text of an `AE`, `AR`, `CE` or `CR`; default `Rejected by rule`. */
  text?: string;
  /**
   * Enhanced acknowledgment mode: a commit accept (`CA`) at once, then, after `delayMs` and on
   * the same connection, `reply` as the application acknowledgment (`AA`, `AE`, `AR`), or
   * nothing more (`silence`), or the connection closed (`drop`). Not with `CE` or `CR`, which
   * are commit acknowledgments themselves.
   */
  enhanced?: boolean;
  /**
   * With `enhanced`: the application acknowledgment asks for a commit acknowledgment of itself
   * (its MSH-15 `AL`); the sender's answer is kept (see `Hl7Peer.acknowledgments`).
   */
  requestCommitAck?: boolean;
}

/** The decision for one message. */
export interface PeerDecision {
  action: PeerAction;
  delayMs: number;
  text: string;
  /** Index of the rule that decided, or undefined for the default `AA`. */
  rule?: number;
  /** Enhanced mode: a `CA` first, `action` after `delayMs` (see {@link PeerRule.enhanced}). */
  enhanced?: true;
  /** The application acknowledgment asks for a commit acknowledgment (MSH-15 `AL`). */
  requestCommitAck?: true;
}

/** The message facts a rule looks at. */
export interface RuleInput {
  /** `code^event` from MSH-9. */
  type: string;
  raw: string;
}

/** Default ERR text of a rule's `AE` or `AR`. */
export const DEFAULT_RULE_TEXT = 'Rejected by rule';

/**
 * Applies reply rules message after message, keeping for each rule how many messages it
 * matched and how many it decided. A new set of rules starts from zero.
 */
export class RuleBook {
  readonly #rules: readonly PeerRule[];
  readonly #matched: number[];
  readonly #applied: number[];

  constructor(rules: readonly PeerRule[] = []) {
    for (const rule of rules) validateRule(rule);
    this.#rules = [...rules];
    this.#matched = rules.map(() => 0);
    this.#applied = rules.map(() => 0);
  }

  /** Decides the reply to the next message. */
  decide(input: RuleInput): PeerDecision {
    for (const [index, rule] of this.#rules.entries()) {
      if (!matches(rule, input)) continue;
      this.#matched[index] = (this.#matched[index] ?? 0) + 1;
      if ((this.#matched[index] ?? 0) % (rule.every ?? 1) !== 0) continue;
      if (rule.times !== undefined && (this.#applied[index] ?? 0) >= rule.times) continue;
      this.#applied[index] = (this.#applied[index] ?? 0) + 1;
      return {
        action: rule.reply ?? 'AA',
        delayMs: rule.delayMs ?? 0,
        text: rule.text ?? DEFAULT_RULE_TEXT,
        rule: index,
        ...(rule.enhanced === true ? { enhanced: true } : {}),
        ...(rule.requestCommitAck === true ? { requestCommitAck: true } : {}),
      };
    }
    return { action: 'AA', delayMs: 0, text: '' };
  }
}

function matches(rule: PeerRule, input: RuleInput): boolean {
  if (rule.messageType !== undefined) {
    const wanted = rule.messageType.toUpperCase();
    const type = input.type.toUpperCase();
    if (type !== wanted && type.split('^')[0] !== wanted) return false;
  }
  if (rule.pattern !== undefined) {
    const pattern = typeof rule.pattern === 'string' ? rule.pattern : new RegExp(rule.pattern);
    if (typeof pattern === 'string' ? !input.raw.includes(pattern) : !pattern.test(input.raw))
      return false;
  }
  return true;
}

function validateRule(rule: PeerRule): void {
  const positive = (n: number | undefined, min: number) =>
    n === undefined || (Number.isInteger(n) && n >= min);
  if (!positive(rule.every, 1)) throw new RangeError(`every must be an integer ≥ 1: ${rule.every}`);
  if (!positive(rule.times, 0)) throw new RangeError(`times must be an integer ≥ 0: ${rule.times}`);
  if (!(rule.delayMs === undefined || rule.delayMs >= 0))
    throw new RangeError(`delayMs must be ≥ 0: ${rule.delayMs}`);
  if (rule.enhanced === true && (rule.reply === 'CE' || rule.reply === 'CR'))
    throw new RangeError(`enhanced sends a CA first; ${rule.reply} is a commit reply of its own`);
  if (rule.requestCommitAck === true && rule.enhanced !== true)
    throw new RangeError('requestCommitAck applies to an enhanced reply only');
}
