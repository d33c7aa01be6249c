import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { Agent, request } from 'undici';
import { tokenFor } from './api-test-client.js';
import { startSandbox } from './sandbox.js';

/** What {@link measureScheduleRps} measured. */
export interface ScheduleBenchResult {
  requests: number;
  errors: number;
  durationMs: number;
  requestsPerSecond: number;
  /** Slots per response, on average. */
  slotsPerResponse: number;
}

/** Where the measured sandbox runs. */
interface Target {
  tokenUrl: string;
  baseUrl: string;
  clientId: string;
  clientSecret: string;
  close(): Promise<void>;
}

/** Starts the CLI (compiled `cli.js` beside this file) in a child process and reads its banner. */
async function startChild(providers: number, signal?: AbortSignal): Promise<Target> {
  const cli = fileURLToPath(new URL('./cli.js', import.meta.url));
  const child: ChildProcess = spawn(
    process.execPath,
    [cli, '--port', '0', '--providers', String(providers)],
    {
      stdio: ['ignore', 'pipe', 'inherit'],
      signal,
    },
  );
  let banner = '';
  for await (const chunk of child.stdout ?? []) {
    banner += String(chunk);
    if (banner.includes('OpenAPI:')) break;
  }
  const field = (name: string): string => new RegExp(`${name}:\\s+(\\S+)`).exec(banner)?.[1] ?? '';
  return {
    tokenUrl: field('token URL'),
    baseUrl: field('base URL'),
    clientId: field('client id'),
    clientSecret: field('client secret'),
    async close() {
      if (child.exitCode !== null) return;
      const exited = once(child, 'exit');
      child.kill('SIGTERM');
      await exited;
    },
  };
}

/**
 * Measures the schedule route: `concurrency` loops request 14-day schedules of random
 * providers for `durationMs`. The sandbox runs in a child process (the compiled CLI) so
 * that client and server do not share one thread; `inProcess: true` runs it here.
 */
export async function measureScheduleRps(options: {
  durationMs: number;
  concurrency: number;
  providers?: number;
  inProcess?: boolean;
  signal?: AbortSignal;
}): Promise<ScheduleBenchResult> {
  const providers = options.providers ?? 1000;
  const sandbox: Target = options.inProcess
    ? await startSandbox({ providers })
    : await startChild(providers, options.signal);
  const dispatcher = new Agent({ connections: options.concurrency, pipelining: 1 });
  try {
    const token = await tokenFor(sandbox, 'schedule:read', { dispatcher, signal: options.signal });
    const headers = { authorization: `Bearer ${token}` };
    let requests = 0;
    let errors = 0;
    let slots = 0;
    const started = performance.now();
    const deadline = started + options.durationMs;
    const worker = async (w: number): Promise<void> => {
      let i = w;
      while (performance.now() < deadline && !options.signal?.aborted) {
        const id = `PRV${String(((i++ * 7919) % providers) + 1).padStart(10, '0')}`;
        const response = await request(
          `${sandbox.baseUrl}/providers/${id}/schedule?start_date=2026-12-01&end_date=2026-12-14`,
          { headers, dispatcher, signal: options.signal },
        );
        const text = await response.body.text();
        requests++;
        if (response.statusCode !== 200) errors++;
        else if (requests % 100 === 0)
          slots += (JSON.parse(text) as { schedule: unknown[] }).schedule.length * 100;
      }
    };
    await Promise.all(Array.from({ length: options.concurrency }, (_, w) => worker(w)));
    const durationMs = performance.now() - started;
    return {
      requests,
      errors,
      durationMs: Math.round(durationMs),
      requestsPerSecond: Math.round((requests / durationMs) * 1000),
      slotsPerResponse:
        requests >= 100 ? Math.round(slots / (Math.floor(requests / 100) * 100)) : 0,
    };
  } finally {
    await dispatcher.close();
    await sandbox.close();
  }
}
