import cliProgress from 'cli-progress';
import type { SyncProgress } from '../sync/run-summary.js';

/** Shows a progress bar on a TTY; prints nothing when the stream is piped. */
export class ProgressReporter {
  #bar?: cliProgress.SingleBar;

  constructor(private readonly stream: NodeJS.WriteStream = process.stderr) {}

  update(progress: SyncProgress): void {
    if (this.stream.isTTY !== true) return;
    const total = Math.max(progress.total ?? progress.read, progress.done, 1);
    const payload = {
      rate: progress.ratePerSecond.toFixed(0),
      dead: progress.deadLettered,
      etaText: progress.etaSeconds === undefined ? '?' : `${Math.ceil(progress.etaSeconds)}s`,
    };
    if (this.#bar === undefined) {
      this.#bar = new cliProgress.SingleBar(
        {
          stream: this.stream,
          format: '{bar} {value}/{total} records | {rate}/s | dead-lettered {dead} | eta {etaText}',
          hideCursor: true,
        },
        cliProgress.Presets.shades_classic,
      );
      this.#bar.start(total, progress.done, payload);
      return;
    }
    this.#bar.setTotal(total);
    this.#bar.update(progress.done, payload);
  }

  stop(): void {
    this.#bar?.stop();
    this.#bar = undefined;
  }
}
