#!/usr/bin/env node
// The floor: the same HTTP requests a full sync makes, at the same concurrency, with the
// bodies read and thrown away — nothing parsed, validated, mapped or written.
import { Agent, request } from 'undici';

/** Input of the raw-floor step (JSON in argv[2]). */
export interface RawFloorInput {
  baseUrl: string;
  tokenUrl: string;
  clientId: string;
  clientSecret: string;
  concurrency: number;
  horizonDays: number;
  perPage: number;
}

const input = JSON.parse(process.argv[2] ?? '{}') as RawFloorInput;
const agent = new Agent({ connections: input.concurrency });
const started = performance.now();

const tokenResponse = await request(input.tokenUrl, {
  method: 'POST',
  dispatcher: agent,
  headers: { 'content-type': 'application/x-www-form-urlencoded' },
  body: new URLSearchParams({
    grant_type: 'client_credentials',
    client_id: input.clientId,
    client_secret: input.clientSecret,
    scope: 'provider:read schedule:read',
  }).toString(),
});
const { access_token: token } = (await tokenResponse.body.json()) as { access_token: string };
const headers = { authorization: `Bearer ${token}` };
const today = new Date();
const start = today.toISOString().slice(0, 10);
const end = new Date(today.getTime() + (input.horizonDays - 1) * 86_400_000)
  .toISOString()
  .slice(0, 10);

let requests = 1;
const ids: string[] = [];
let isListed = false;
let page = 1;
// Schedules are fetched while pages are still being read, as the pipeline does.
async function worker(): Promise<void> {
  for (;;) {
    const id = ids.shift();
    if (id === undefined) {
      if (isListed) return;
      await new Promise((resolve) => setImmediate(resolve));
      continue;
    }
    const response = await request(
      `${input.baseUrl}/providers/${id}/schedule?start_date=${start}&end_date=${end}`,
      { dispatcher: agent, headers },
    );
    await response.body.dump({ limit: Number.MAX_SAFE_INTEGER });
    requests += 1;
  }
}
const workers = Array.from({ length: input.concurrency }, () => worker());
for (;;) {
  const response = await request(
    `${input.baseUrl}/providers?page=${page}&per_page=${input.perPage}`,
    { dispatcher: agent, headers },
  );
  // Ids are needed to address schedules: the one thing read from the listing.
  const text = await response.body.text();
  requests += 1;
  for (const match of text.matchAll(/"id":"(PRV\d{10})"/g))
    if (match[1] !== undefined) ids.push(match[1]);
  if (!text.includes('"has_next_page":true')) break;
  page += 1;
}
isListed = true;
await Promise.all(workers);
await agent.close();
process.stdout.write(
  `${JSON.stringify({ durationMs: performance.now() - started, requests, peakRssBytes: process.resourceUsage().maxRSS * 1024 })}\n`,
);
