import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { parseArgs } from 'node:util';
import {
  ConfigError,
  ErrorCode,
  Metrics,
  answerOperationsRequest,
  createLogger,
  defineCommand,
  loadConfig,
  openSyncApp,
  prepareGracefulClose,
} from '@pmsbridge/core';
import { openShardQueue, postgresOf } from './shard-queue.js';
import { startShardWorker, workerIdOfThisProcess } from './worker.js';

const USAGE = `pmsbridge worker — runs shards of distributed full syncs (see pmsbridge distribute)

Usage:
  pmsbridge worker --config FILE [--port N] [--host 127.0.0.1]

Takes shards of the config's pipeline from its queue in PostgreSQL (the config's state must
be postgres) one at a time, and runs each through the pipeline with its own checkpoint. Run
any number, on any machine, with the same config. With --port it answers GET /healthz,
/readyz and /metrics (Prometheus). On SIGINT or SIGTERM it stops taking shards and releases
the one under way at its last acknowledged batch, for another worker to resume.`;

function usageError(message: string): ConfigError {
  return new ConfigError(`${message}\n${USAGE}`, { code: ErrorCode.CliUsage });
}

/** `pmsbridge worker --config FILE`: a process that runs shards of distributed runs. */
export default defineCommand({
  name: 'worker',
  summary: 'run shards of distributed full syncs',
  usage: USAGE,
  async run({ argv, stdout, signal }) {
    const { values } = parseArgs({
      args: argv,
      options: {
        config: { type: 'string', short: 'c' },
        port: { type: 'string' },
        host: { type: 'string', default: '127.0.0.1' },
        help: { type: 'boolean', short: 'h' },
      },
    });
    if (values.help === true) {
      stdout.write(`${USAGE}\n`);
      return 0;
    }
    if (values.config === undefined) throw usageError('--config FILE is required');
    const port = values.port === undefined ? undefined : Number(values.port);
    if (port !== undefined && (!Number.isInteger(port) || port < 0)) {
      throw usageError(`--port must be a non-negative integer, got "${values.port}"`);
    }
    const loaded = await loadConfig(values.config);
    const database = postgresOf(loaded, 'worker');
    const id = workerIdOfThisProcess();
    // Every line of this process, the engine's too, names the worker.
    const logger = createLogger({
      level: loaded.config.log.level,
      format: loaded.config.log.format,
    }).child({ worker: id });
    const metrics = new Metrics();
    const app = await openSyncApp(loaded, { logger, signal, metrics });
    let isStopping = false;
    const server =
      port === undefined
        ? undefined
        : createServer((request, response) => {
            const ops = { registry: metrics.registry, isReady: () => !isStopping, logger };
            if (answerOperationsRequest(request, response, ops)) return;
            response.writeHead(404, { 'content-type': 'application/json' });
            response.end('{"error":"not found"}');
          });
    const closeServer = server === undefined ? undefined : prepareGracefulClose(server);
    try {
      const { boss, queue } = await openShardQueue({
        connectionString: database.connectionString,
        schema: database.schema,
        pipeline: app.syncOptions.pipeline,
        heartbeatSeconds: loaded.config.distributed.heartbeatSeconds,
        maxAttempts: loaded.config.distributed.maxAttempts,
        logger,
      });
      const worker = await startShardWorker({ app, boss, queue, metrics, id });
      let where = '';
      if (server !== undefined) {
        await new Promise<void>((resolve, reject) => {
          server.once('error', reject);
          server.listen(port, values.host, () => resolve());
        });
        const address = server.address() as AddressInfo;
        where = ` (operations on http://${values.host}:${address.port})`;
      }
      stdout.write(
        `worker ${worker.id} waiting for shards of ${app.syncOptions.pipeline}${where}\n`,
      );
      if (!signal.aborted) {
        await new Promise((resolve) => signal.addEventListener('abort', resolve, { once: true }));
      }
      isStopping = true;
      await worker.stop();
      return 0;
    } finally {
      await closeServer?.();
      await app.close();
    }
  },
});
