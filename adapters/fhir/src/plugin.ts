import { defineSink, type Sink } from '@pmsbridge/core';
import {
  MAPPED_PROVIDER_FIELDS,
  UnmappedSpecialtyLog,
  mappingOptionsOf,
} from '@pmsbridge/fhir-mapping';
import { FhirServerSink } from './fhir-server-sink.js';
import { optionsSchema } from './options-schema.js';

/**
 * The `@pmsbridge/adapter-fhir` plugin: a {@link FhirServerSink}, with the application's state
 * store, logger and clock.
 */
export const fhirPlugin = defineSink({
  id: '@pmsbridge/adapter-fhir',
  options: optionsSchema,
  needs: { logger: 'logger', clock: 'clock', stateStore: 'state', metrics: 'metrics' },
  requiredProviderFields: MAPPED_PROVIDER_FIELDS,
  create: ({
    options,
    name,
    services: { logger: pluginLogger, clock, stateStore, metrics },
  }): Sink => {
    const logger = pluginLogger.child({ sink: name });
    return new FhirServerSink(
      {
        name,
        baseUrl: options.baseUrl,
        auth: options.auth,
        bundleSize: options.bundleSize,
        retry: { maxRetries: options.maxRetries, baseDelayMs: options.retryBaseDelayMs },
        circuitBreaker: options.circuitBreaker.enabled ? options.circuitBreaker : false,
        mapping: mappingOptionsOf(options, new UnmappedSpecialtyLog(logger)),
      },
      { stateStore, logger, clock, observer: metrics.httpObserver('fhir', name) },
    );
  },
});
