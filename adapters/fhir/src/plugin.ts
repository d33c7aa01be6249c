import { isAbsolute, resolve } from 'node:path';
import { defineSink, type Sink } from '@pmsbridge/core';
import { BulkPublishSink } from './bulk-publish-sink.js';
import { FhirServerSink } from './fhir-server-sink.js';
import { mappingOptionsOf } from './mapping-options.js';
import { optionsSchema } from './options-schema.js';
import { UnmappedSpecialtyLog } from './unmapped-specialties.js';

/**
 * The `@pmsbridge/adapter-fhir` plugin: a {@link FhirServerSink} (`target: 'server'`) or a
 * {@link BulkPublishSink} (`target: 'bulk'`), with the application's state store, logger and
 * clock.
 */
export const fhirPlugin = defineSink({
  id: '@pmsbridge/adapter-fhir',
  options: optionsSchema,
  needs: { logger: 'logger', clock: 'clock', stateStore: 'state' },
  // What the Practitioner, PractitionerRole, Location and Schedule mappers read; a source
  // that leaves one out would publish resources with it silently missing.
  requiredProviderFields: [
    'id',
    'npi',
    'name',
    'gender',
    'specialties',
    'acceptingNewPatients',
    'languages',
    'locations',
    'phone',
    'status',
  ],
  create: ({
    options,
    name,
    baseDir,
    entry,
    services: { logger: pluginLogger, clock, stateStore },
  }): Sink => {
    const logger = pluginLogger.child({ sink: name });
    const unmappedSpecialties = new UnmappedSpecialtyLog(logger);
    if (options.target === 'bulk') {
      const outputDir = isAbsolute(options.outputDir)
        ? options.outputDir
        : resolve(baseDir, options.outputDir);
      return new BulkPublishSink(
        {
          name,
          outputDir,
          outputDirOption: `${entry}.options.outputDir`,
          splitBy: options.splitBy,
          includePractitionerRoles: options.includePractitionerRoles,
          baseUrl: options.baseUrl,
          mapping: mappingOptionsOf(options, unmappedSpecialties),
        },
        clock,
        logger,
      );
    }
    return new FhirServerSink(
      {
        name,
        baseUrl: options.baseUrl,
        auth: options.auth,
        bundleSize: options.bundleSize,
        retry: { maxRetries: options.maxRetries, baseDelayMs: options.retryBaseDelayMs },
        circuitBreaker: options.circuitBreaker.enabled ? options.circuitBreaker : false,
        mapping: mappingOptionsOf(options, unmappedSpecialties),
      },
      { stateStore, logger, clock },
    );
  },
});
