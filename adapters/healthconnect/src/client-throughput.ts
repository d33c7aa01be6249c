import { createHealthConnectClient } from './create-client.js';

/** What {@link measureClientThroughput} needs: a reachable API and how hard to push it. */
export interface ThroughputOptions {
  baseUrl: string;
  tokenUrl: string;
  clientId: string;
  clientSecret: string;
  /** Schedule requests in flight at once. */
  concurrency: number;
  /** How many providers (the first N by id) to fetch schedules for. */
  providers: number;
  /** Schedule window length in days, starting `startDate`. */
  days: number;
  /** First day of the window (YYYY-MM-DD). Default: today (UTC). */
  startDate?: string;
  signal?: AbortSignal;
}

/** Figures of one throughput run. Requests count schedule requests only (a window over 31 days takes several). */
export interface ThroughputResult {
  concurrency: number;
  providers: number;
  requests: number;
  slots: number;
  durationMs: number;
  requestsPerSecond: number;
  slotsPerSecond: number;
}

/**
 * Fetches schedules for `providers` providers at `concurrency` and reports requests/s and
 * slots/s. Listing the provider ids and getting the token happen before the clock starts.
 */
export async function measureClientThroughput(
  options: ThroughputOptions,
): Promise<ThroughputResult> {
  const client = createHealthConnectClient({
    baseUrl: options.baseUrl,
    tokenUrl: options.tokenUrl,
    clientId: options.clientId,
    clientSecret: options.clientSecret,
    concurrency: options.concurrency,
  });
  try {
    const ids: string[] = [];
    for await (const page of client.searchProviders(
      {},
      { signal: options.signal, useCache: false },
    )) {
      ids.push(...page.providers.map((provider) => provider.id));
      if (ids.length >= options.providers) break;
    }
    const targets = ids.slice(0, options.providers);
    const start = options.startDate ?? new Date().toISOString().slice(0, 10);
    const end = new Date(Date.parse(`${start}T00:00:00Z`) + (options.days - 1) * 86_400_000)
      .toISOString()
      .slice(0, 10);
    const window = { startDate: start, endDate: end };
    const requestsPerProvider = Math.ceil(options.days / 31);
    let slots = 0;
    let next = 0;
    const began = performance.now();
    const worker = async (): Promise<void> => {
      while (next < targets.length) {
        const id = targets[next] as string;
        next += 1;
        const schedule = await client.getSchedule(id, window, options.signal);
        slots += schedule.length;
      }
    };
    await Promise.all(Array.from({ length: options.concurrency }, worker));
    const durationMs = performance.now() - began;
    const requests = targets.length * requestsPerProvider;
    return {
      concurrency: options.concurrency,
      providers: targets.length,
      requests,
      slots,
      durationMs,
      requestsPerSecond: (requests * 1000) / durationMs,
      slotsPerSecond: (slots * 1000) / durationMs,
    };
  } finally {
    await client.close();
  }
}
