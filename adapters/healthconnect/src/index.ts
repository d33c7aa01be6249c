/**
 * `@pmsbridge/adapter-healthconnect`: the HealthConnect Provider API v2 client and the
 * source plugin that exposes it to pmsbridge pipelines.
 */
import { healthConnectPlugin } from './plugin.js';

export { healthConnectPlugin } from './plugin.js';
export { HealthConnectOptionsSchema } from './options.js';
export type { HealthConnectOptions, HealthConnectOptionsInput } from './options.js';
export { createHealthConnectClient } from './create-client.js';
export type { ClientDependencies } from './create-client.js';
export { HealthConnectClient } from './healthconnect-client.js';
export type {
  ClientCacheOptions,
  ProviderSearchFilters,
  ProviderSearchPage,
  SearchOptions,
  WebhookSubscriptionRequest,
} from './healthconnect-client.js';
export { HealthConnectSource } from './healthconnect-source.js';
export { HealthConnectError, InsufficientScopeError, CircuitOpenError } from './remote-errors.js';
export type { HealthConnectErrorInfo } from './remote-errors.js';
export { verifyWebhook, WebhookVerificationError } from './webhook-verifier.js';
export type { VerifyWebhookOptions, WebhookHeaders, WebhookRejection } from './webhook-verifier.js';
export {
  receiveWebhook,
  WEBHOOK_SEEN_NAMESPACE,
  DEFAULT_WEBHOOK_SEEN_TTL_MS,
} from './webhook-receiver.js';
export type { ReceiveWebhookOptions, ReceivedWebhook } from './webhook-receiver.js';
export { parseRetryAfter } from '@pmsbridge/core/http';
export { splitScheduleWindow } from './schedule-chunks.js';
export { measureClientThroughput } from './client-throughput.js';
export type { ThroughputOptions, ThroughputResult } from './client-throughput.js';
export type { Sleep } from '@pmsbridge/core/http';

/** The plugin, as the pipeline loader imports it. */
export default healthConnectPlugin;
export { startWebhookListener } from './webhook-listener.js';
export {
  SCHEDULE_SUBSCRIPTIONS_NAMESPACE,
  ScheduleSubscriptions,
  readScheduleSubscription,
} from './schedule-subscriptions.js';
export type { ScheduleSubscriptionsDeps, StoredSubscription } from './schedule-subscriptions.js';
export type { WebhookListener, WebhookListenerOptions } from './webhook-listener.js';
export { ListenerLimitsSchema } from './listener-limits.js';
export type { ListenerLimits, ListenerLimitsInput } from './listener-limits.js';
