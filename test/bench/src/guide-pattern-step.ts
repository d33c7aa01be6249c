#!/usr/bin/env node
// The integration guide's data-sync pattern as a peer, in its own process: a client-credentials
// token, then GET /providers page by page (per_page 100) until has_next_page is false, then
// each provider's schedule in turn, every slot appended to a file as one JSON line. One request
// at a time, plain undici `request`; a 429 is answered by sleeping Retry-After (60 s when
// absent, as the guide says) and asking again.
import { createWriteStream } from 'node:fs';
import { once } from 'node:events';
import { mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { getGlobalDispatcher, request } from 'undici';

/** Input of the guide-pattern step (JSON in argv[2]). */
export interface GuidePatternInput {
  baseUrl: string;
  tokenUrl: string;
  clientId: string;
  clientSecret: string;
  horizonDays: number;
  /** The JSON-lines file the slots are appended to. */
  outputFile: string;
}

/** What the guide-pattern step prints. */
export interface GuidePatternResult {
  durationMs: number;
  /** Every HTTP request sent, 429s included. */
  requests: number;
  rateLimited: number;
  providers: number;
  slots: number;
  /** CPU time of the whole process when the step ended, in µs. */
  cpuUserMicros: number;
  cpuSystemMicros: number;
  peakRssBytes: number;
}

interface ProvidersPage {
  providers: Array<{ id: string }>;
  has_next_page: boolean;
}

interface ScheduleAnswer {
  provider_id: string;
  schedule: Array<Record<string, unknown>>;
}

/** The API's limit on one schedule request. */
const MAX_DAYS_PER_REQUEST = 31;
const DAY_MS = 86_400_000;

const input = JSON.parse(process.argv[2] ?? '{}') as GuidePatternInput;
let requests = 0;
let rateLimited = 0;

/** `Retry-After` in ms: delta-seconds or an HTTP date; the guide's 60 s when absent. */
function retryAfterMs(header: string | string[] | undefined): number {
  const value = Array.isArray(header) ? header[0] : header;
  if (value === undefined) return 60_000;
  if (/^\d+$/.test(value.trim())) return Number(value) * 1000;
  const at = Date.parse(value);
  return Number.isNaN(at) ? 60_000 : Math.max(0, at - Date.now());
}

/** Sends one request; on a 429 sleeps Retry-After and sends it again. */
async function send(
  url: string,
  options: { method?: 'GET' | 'POST'; headers: Record<string, string>; body?: string },
): Promise<unknown> {
  for (;;) {
    requests += 1;
    const response = await request(url, options);
    if (response.statusCode === 429) {
      rateLimited += 1;
      await response.body.dump();
      await sleep(retryAfterMs(response.headers['retry-after']));
      continue;
    }
    if (response.statusCode >= 400) {
      const text = await response.body.text();
      throw new Error(`${url} answered ${response.statusCode}: ${text.slice(0, 200)}`);
    }
    return response.body.json();
  }
}

const started = performance.now();
const { access_token: token } = (await send(input.tokenUrl, {
  method: 'POST',
  headers: { 'content-type': 'application/x-www-form-urlencoded' },
  body: new URLSearchParams({
    grant_type: 'client_credentials',
    client_id: input.clientId,
    client_secret: input.clientSecret,
    scope: 'provider:read schedule:read',
  }).toString(),
})) as { access_token: string };
const headers = { authorization: `Bearer ${token}` };

// fullSync(): sequential pages.
const ids: string[] = [];
let page = 1;
let hasMore = true;
while (hasMore) {
  const answer = (await send(`${input.baseUrl}/providers?page=${page}&per_page=100`, {
    headers,
  })) as ProvidersPage;
  for (const provider of answer.providers) ids.push(provider.id);
  hasMore = answer.has_next_page;
  page += 1;
}

// Then each provider's schedule in turn, in requests of at most 31 days.
const isoDate = (ms: number) => new Date(ms).toISOString().slice(0, 10);
const today = Date.parse(`${isoDate(Date.now())}T00:00:00Z`);
const lastDay = today + (input.horizonDays - 1) * DAY_MS;
await mkdir(dirname(input.outputFile), { recursive: true });
const out = createWriteStream(input.outputFile);
let slots = 0;
for (const id of ids) {
  for (let from = today; from <= lastDay; from += MAX_DAYS_PER_REQUEST * DAY_MS) {
    const to = Math.min(lastDay, from + (MAX_DAYS_PER_REQUEST - 1) * DAY_MS);
    const answer = (await send(
      `${input.baseUrl}/providers/${id}/schedule?start_date=${isoDate(from)}&end_date=${isoDate(to)}`,
      { headers },
    )) as ScheduleAnswer;
    for (const slot of answer.schedule) {
      slots += 1;
      if (!out.write(`${JSON.stringify({ provider_id: id, ...slot })}\n`)) await once(out, 'drain');
    }
  }
}
out.end();
await once(out, 'finish');
await getGlobalDispatcher().close();
const cpu = process.cpuUsage();
const result: GuidePatternResult = {
  durationMs: performance.now() - started,
  requests,
  rateLimited,
  providers: ids.length,
  slots,
  cpuUserMicros: cpu.user,
  cpuSystemMicros: cpu.system,
  peakRssBytes: process.resourceUsage().maxRSS * 1024,
};
process.stdout.write(`${JSON.stringify(result)}\n`);
