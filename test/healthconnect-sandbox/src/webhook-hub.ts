import { createHmac, randomBytes, randomUUID } from 'node:crypto';
import { request } from 'undici';
import type { WebhookEventType } from '@pmsbridge/healthconnect-contract';

/** A subscription as stored (the secret is returned only on creation). */
export interface StoredWebhook {
  id: string;
  url: string;
  events: WebhookEventType[];
  provider_id?: string;
  secret: string;
  created_at: string;
}

/** One delivery attempt, as the admin API lists it. */
export interface WebhookDelivery {
  webhookId: string;
  eventId: string;
  type: WebhookEventType;
  url: string;
  attempt: number;
  /** HTTP status, or undefined when the request failed (timeout, refused). */
  status?: number;
  error?: string;
  ok: boolean;
  at: string;
}

/** Data of a webhook event. */
export type WebhookData = { provider_id: string; start_date?: string; end_date?: string };

const DELIVERY_TIMEOUT_MS = 10_000;
const KEPT_DELIVERIES = 500;

/** Signs a Standard Webhooks message: `v1,<base64 HMAC-SHA256("{id}.{timestamp}.{body}")>`. */
export function signWebhook(secret: string, id: string, timestamp: number, body: string): string {
  const key = Buffer.from(secret.replace(/^whsec_/, ''), 'base64');
  return `v1,${createHmac('sha256', key).update(`${id}.${timestamp}.${body}`).digest('base64')}`;
}

/**
 * Webhook subscriptions and signed deliveries with retries. Every timer is unref'd and
 * every in-flight request is aborted by {@link WebhookHub.close}.
 */
export class WebhookHub {
  private readonly hooks = new Map<string, StoredWebhook>();
  private readonly deliveries: WebhookDelivery[] = [];
  private readonly timers = new Set<NodeJS.Timeout>();
  private readonly aborter = new AbortController();
  private readonly inFlight = new Set<Promise<void>>();

  constructor(
    private readonly retryDelaysMs: readonly number[],
    private readonly now: () => Date,
  ) {}

  /** Registers a subscription and returns it with its secret. */
  add(input: { url: string; events: WebhookEventType[]; provider_id?: string }): StoredWebhook {
    const hook: StoredWebhook = {
      id: `WHK${randomBytes(8).toString('hex').toUpperCase()}`,
      url: input.url,
      events: [...new Set(input.events)],
      ...(input.provider_id ? { provider_id: input.provider_id } : {}),
      secret: `whsec_${randomBytes(24).toString('base64')}`,
      created_at: this.now().toISOString(),
    };
    this.hooks.set(hook.id, hook);
    return hook;
  }

  /** Removes a subscription; false when unknown. */
  remove(id: string): boolean {
    return this.hooks.delete(id);
  }

  /** Subscriptions without their secrets. */
  list(): Array<Omit<StoredWebhook, 'secret'>> {
    return [...this.hooks.values()].map(({ secret: _secret, ...rest }) => rest);
  }

  /** Recent delivery attempts, oldest first. */
  recentDeliveries(): WebhookDelivery[] {
    return [...this.deliveries];
  }

  /** Sends `type` to every matching subscription. */
  emit(type: WebhookEventType, data: WebhookData): void {
    if (this.aborter.signal.aborted) return;
    for (const hook of this.hooks.values()) {
      if (!hook.events.includes(type)) continue;
      if (hook.provider_id && hook.provider_id !== data.provider_id) continue;
      const eventId = `evt_${randomUUID().replaceAll('-', '')}`;
      const body = JSON.stringify({
        id: eventId,
        type,
        created_at: this.now().toISOString(),
        data,
      });
      this.track(this.attempt(hook, eventId, type, body, 1));
    }
  }

  /** Resolves when no delivery is in flight (scheduled retries are not waited for). */
  async idle(): Promise<void> {
    while (this.inFlight.size > 0) await Promise.all([...this.inFlight]);
  }

  /** Cancels retries and in-flight deliveries. */
  async close(): Promise<void> {
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
    this.aborter.abort();
    await this.idle();
  }

  private track(promise: Promise<void>): void {
    this.inFlight.add(promise);
    void promise.finally(() => this.inFlight.delete(promise));
  }

  private async attempt(
    hook: StoredWebhook,
    eventId: string,
    type: WebhookEventType,
    body: string,
    attempt: number,
  ): Promise<void> {
    const timestamp = Math.floor(this.now().getTime() / 1000);
    let status: number | undefined;
    let error: string | undefined;
    try {
      const response = await request(hook.url, {
        method: 'POST',
        body,
        headers: {
          'content-type': 'application/json',
          'webhook-id': eventId,
          'webhook-timestamp': String(timestamp),
          'webhook-signature': signWebhook(hook.secret, eventId, timestamp, body),
        },
        signal: AbortSignal.any([this.aborter.signal, AbortSignal.timeout(DELIVERY_TIMEOUT_MS)]),
      });
      status = response.statusCode;
      await response.body.dump();
    } catch (cause) {
      error = cause instanceof Error ? cause.message : String(cause);
    }
    const ok = status !== undefined && status >= 200 && status < 300;
    this.record({
      webhookId: hook.id,
      eventId,
      type,
      url: hook.url,
      attempt,
      status,
      error,
      ok,
      at: this.now().toISOString(),
    });
    if (ok || this.aborter.signal.aborted) return;
    const delay = this.retryDelaysMs[attempt - 1];
    if (delay === undefined) return;
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      if (this.hooks.has(hook.id)) this.track(this.attempt(hook, eventId, type, body, attempt + 1));
    }, delay);
    timer.unref();
    this.timers.add(timer);
  }

  private record(delivery: WebhookDelivery): void {
    this.deliveries.push(delivery);
    if (this.deliveries.length > KEPT_DELIVERIES) this.deliveries.shift();
  }
}
