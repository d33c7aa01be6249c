/** Default share (0–1) of a run's records that may be dead-lettered before the run fails. */
export const DEFAULT_DEAD_LETTER_THRESHOLD = 0.1;

/** Why a run that completed is judged failed. */
export interface RunFailure {
  /** Stable code for scripts: `PMS_DEAD_LETTER_THRESHOLD`. */
  code: 'PMS_DEAD_LETTER_THRESHOLD';
  /** What happened and what to do, without record contents. */
  message: string;
}

/** The counts a verdict is based on. */
export interface DeadLetterCounts {
  /** Records the run handled (changes superseded within the run not counted). */
  records: number;
  deadLettered: number;
}

/** The share of `counts.records` that was dead-lettered; 0 for a run without records. */
export function deadLetterShare(counts: DeadLetterCounts): number {
  return counts.records === 0 ? 0 : counts.deadLettered / counts.records;
}

/**
 * Judges a finished run: when more than `threshold` of its records were dead-lettered, the
 * cause is rarely the records themselves (a misconfigured stage, a sink rejecting
 * everything, a source serving garbage), and a run that "succeeds" while its output is
 * missing most of its data hides that. Whatever the cause, the run is reported failed.
 */
export function judgeDeadLetters(
  counts: DeadLetterCounts,
  threshold: number,
): RunFailure | undefined {
  const share = deadLetterShare(counts);
  if (share <= threshold) return undefined;
  return {
    code: 'PMS_DEAD_LETTER_THRESHOLD',
    message:
      `${counts.deadLettered} of ${counts.records} records (${percent(share)}) were dead-lettered, ` +
      `more than the ${percent(threshold)} allowed by sync.deadLetterThreshold. ` +
      'Run `pmsbridge dlq list` for the reasons, fix the cause, then `pmsbridge dlq replay`.',
  };
}

function percent(share: number): string {
  return `${Number((share * 100).toFixed(1))} %`;
}
