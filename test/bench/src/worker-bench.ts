import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdir, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { startPostgres } from '@pmsbridge/test-postgres';
import { startSandboxProcess } from './processes.js';

const CLI = join(
  dirname(createRequire(import.meta.url).resolve('@pmsbridge/core/package.json')),
  'dist',
  'cli',
  'bin.js',
);

/** One benchmark scenario's figures. */
export interface WorkerScenario {
  name: string;
  providers: number;
  durationMs: number;
  [key: string]: number | string | boolean;
}

interface DistributedRun {
  durationMs: number;
  cpuMs: number;
  read: number;
  workers: number;
}

/** `pmsbridge distribute --local-workers N`, CPU of the coordinator and its workers included. */
async function distribute(config: string, workers: number, env: NodeJS.ProcessEnv) {
  const started = performance.now();
  const child = spawn(
    '/usr/bin/time',
    [
      ...['-f', 'cpu %U %S', process.execPath, CLI, 'distribute', '--config', config],
      ...['--local-workers', String(workers), '--json'],
    ],
    { env, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const [code] = (await once(child, 'exit')) as [number | null];
  const durationMs = performance.now() - started;
  if (code !== 0) throw new Error(`distribute failed (${code}):\n${stderr.slice(-2000)}`);
  const cpu = /cpu ([\d.]+) ([\d.]+)/.exec(stderr);
  const summary = JSON.parse(stdout) as { read: number; workers: Record<string, number> };
  return {
    durationMs,
    cpuMs: cpu === null ? Number.NaN : (Number(cpu[1]) + Number(cpu[2])) * 1000,
    read: summary.read,
    workers: Object.keys(summary.workers).length,
  } satisfies DistributedRun;
}

/**
 * A distributed full sync (sandbox → bulk publication, state and queue in a local
 * PostgreSQL) with one worker, then with two, on this machine: the speed-up of the second
 * worker and the CPU per provider, coordinator and workers included. Each run gets a
 * database and an output directory of its own, so both do the same work.
 */
export async function workerScenarios(
  workRoot: string,
  providers = 3000,
  horizonDays = 14,
): Promise<WorkerScenario[]> {
  const credentials = { clientId: 'bench-workers', clientSecret: 'bench-workers-secret' };
  const sandbox = await startSandboxProcess(providers, credentials);
  const postgres = await startPostgres({ durable: true });
  try {
    const runs: DistributedRun[] = [];
    for (const workers of [1, 2]) {
      const dir = join(workRoot, `workers-${workers}`);
      await mkdir(dir, { recursive: true });
      const config = join(dir, 'pipeline.yaml');
      await writeFile(
        config,
        `pipeline: bench-workers
state: { use: postgres, options: { connectionString: '\${DATABASE_URL}' } }
log: { level: warn }
source:
  use: '@pmsbridge/adapter-healthconnect'
  options:
    baseUrl: '${sandbox.baseUrl}'
    tokenUrl: '${sandbox.tokenUrl}'
    clientId: '${credentials.clientId}'
    clientSecret: '${credentials.clientSecret}'
    concurrency: 16
sinks:
  - use: '@pmsbridge/adapter-smart-scheduling-links'
    name: out
    options: { outputDir: '${join(dir, 'publication')}', baseUrl: 'https://bench.example' }
sync: { horizonDays: ${horizonDays}, batchSize: 200, concurrency: 16 }
distributed: { shards: 20, heartbeatSeconds: 30 }
`,
      );
      const env = { ...process.env, DATABASE_URL: await postgres.createDatabase() };
      runs.push(await distribute(config, workers, env));
    }
    const [one, two] = runs as [DistributedRun, DistributedRun];
    const figures = (name: string, run: DistributedRun): WorkerScenario => ({
      name,
      providers,
      durationMs: Math.round(run.durationMs),
      workersThatTookShards: run.workers,
      providersPerSecond: Math.round(run.read / (run.durationMs / 1000)),
      cpuMsPerProvider: Math.round((run.cpuMs / run.read) * 100) / 100,
    });
    return [
      figures('distributed full sync → bulk, 1 worker', one),
      {
        ...figures('distributed full sync → bulk, 2 workers', two),
        speedUpOverOneWorker: Math.round((one.durationMs / two.durationMs) * 100) / 100,
      },
    ];
  } finally {
    await postgres.stop();
    await sandbox.stop();
  }
}
