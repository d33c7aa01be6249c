import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { parseArgs } from 'node:util';
import {
  ConfigError,
  DEFAULT_DEAD_LETTER_THRESHOLD,
  ErrorCode,
  Metrics,
  createLogger,
  defineCommand,
  judgeDeadLetters,
  loadConfig,
  openSyncApp,
} from '@pmsbridge/core';
import { coordinateDistributedRun } from './coordinator.js';
import { openShardQueue, postgresOf } from './shard-queue.js';

const USAGE = `pmsbridge distribute — a full sync split into shards that pmsbridge worker processes run

Usage:
  pmsbridge distribute --config FILE [--shards N] [--local-workers N] [--json]

Plans the run (distributed.shards in the config, 20 by default, or --shards), queues one
job per shard in PostgreSQL (the config's state must be postgres), waits while any number of
\`pmsbridge worker --config FILE\` processes, on any machine, run them, and finishes the run
once every shard has completed (a publication's manifest, the next incremental sync's
starting point). A worker that dies loses its shard to another, which resumes it from its
checkpoint. Only one coordinator runs per pipeline; one started again after a crash takes
over the run under way. --local-workers N also starts N workers on this machine for the
run's length (one per core pays). Prints a summary, as JSON with --json.`;

/** `pmsbridge worker` processes on this machine, for one run (this CLI, run again). */
function startLocalWorkers(count: number, config: string): ChildProcess[] {
  const cli = process.argv[1];
  if (count === 0 || cli === undefined) return [];
  return Array.from({ length: count }, () =>
    spawn(process.execPath, [cli, 'worker', '--config', config], {
      stdio: ['ignore', 'ignore', 'inherit'],
    }),
  );
}

async function stopLocalWorkers(workers: ChildProcess[]): Promise<void> {
  await Promise.all(
    workers.map(async (worker) => {
      if (worker.exitCode !== null || worker.signalCode !== null) return;
      const exited = once(worker, 'exit');
      worker.kill('SIGTERM');
      await exited;
    }),
  );
}

function usageError(message: string): ConfigError {
  return new ConfigError(`${message}\n${USAGE}`, { code: ErrorCode.CliUsage });
}

/** `pmsbridge distribute --config FILE`: the coordinator of a distributed full sync. */
export default defineCommand({
  name: 'distribute',
  summary: 'run a full sync as shards that pmsbridge worker processes take',
  usage: USAGE,
  async run({ argv, stdout, stderr, signal }) {
    const { values } = parseArgs({
      args: argv,
      options: {
        config: { type: 'string', short: 'c' },
        shards: { type: 'string' },
        'local-workers': { type: 'string', default: '0' },
        json: { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h' },
      },
    });
    if (values.help === true) {
      stdout.write(`${USAGE}\n`);
      return 0;
    }
    if (values.config === undefined) throw usageError('--config FILE is required');
    const loaded = await loadConfig(values.config);
    const database = postgresOf(loaded, 'distribute');
    const distributed = loaded.config.distributed;
    const shards = values.shards === undefined ? distributed.shards : Number(values.shards);
    if (!Number.isInteger(shards) || shards < 1) {
      throw usageError(`--shards must be a positive integer, got "${values.shards}"`);
    }
    const localWorkers = Number(values['local-workers']);
    if (!Number.isInteger(localWorkers) || localWorkers < 0) {
      throw usageError(
        `--local-workers must be a non-negative integer, got "${values['local-workers']}"`,
      );
    }
    const logger = createLogger({
      level: loaded.config.log.level,
      format: loaded.config.log.format,
    });
    const metrics = new Metrics();
    const app = await openSyncApp(loaded, { logger, signal, metrics });
    try {
      const { boss, queue } = await openShardQueue({
        connectionString: database.connectionString,
        schema: database.schema,
        pipeline: app.syncOptions.pipeline,
        heartbeatSeconds: distributed.heartbeatSeconds,
        maxAttempts: distributed.maxAttempts,
        logger,
      });
      const workers = startLocalWorkers(localWorkers, values.config);
      try {
        const summary = await coordinateDistributedRun({
          app,
          boss,
          queue,
          shards,
          heartbeatSeconds: distributed.heartbeatSeconds,
          maxAttempts: distributed.maxAttempts,
          signal,
          metrics,
        });
        stdout.write(
          values.json
            ? `${JSON.stringify(summary)}\n`
            : `distributed run ${summary.run}: ${summary.shards} shards by ${Object.keys(summary.workers).length} workers, ${summary.read} read, ${summary.written} written, ${summary.unchanged} unchanged, ${summary.deadLettered} dead-lettered in ${(summary.durationMs / 1000).toFixed(1)} s\n`,
        );
        // Judged as a single-process sync is.
        const failure = judgeDeadLetters(
          { records: summary.read, deadLettered: summary.deadLettered },
          app.syncOptions.deadLetterThreshold ?? DEFAULT_DEAD_LETTER_THRESHOLD,
        );
        if (failure === undefined) return 0;
        stderr.write(`pmsbridge: ${failure.message} [${failure.code}]\n`);
        return 1;
      } finally {
        await stopLocalWorkers(workers);
        await boss.stop({ graceful: false });
      }
    } finally {
      await app.close();
    }
  },
});
