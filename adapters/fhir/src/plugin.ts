import { isAbsolute, resolve } from 'node:path';
import { ContainerModule } from 'inversify';
import {
  ClockToken,
  definePlugin,
  LoggerToken,
  SinkToken,
  StateStoreToken,
  type Sink,
  type Clock,
  type Logger,
  type StateStore,
} from '@pmsbridge/core';
import { BulkPublishSink } from './bulk-publish-sink.js';
import { FhirServerSink } from './fhir-server-sink.js';
import { mappingOptionsOf } from './mapping-options.js';
import { optionsSchema } from './options-schema.js';
import { UnmappedSpecialtyLog } from './unmapped-specialties.js';

/**
 * The `@pmsbridge/adapter-fhir` plugin: binds `SinkToken` to a {@link FhirServerSink}
 * (`target: 'server'`) or a {@link BulkPublishSink} (`target: 'bulk'`), injecting the
 * parent container's state store, logger and clock.
 */
export const fhirPlugin = definePlugin({
  name: '@pmsbridge/adapter-fhir',
  optionsSchema,
  // What the Practitioner, PractitionerRole, Location and Schedule mappers read; a source
  // that leaves one out would publish resources with it silently missing.
  requiredProviderFields: [
    'id',
    'npi',
    'name',
    'gender',
    'specialties',
    'accepting_new_patients',
    'languages',
    'locations',
    'phone',
    'status',
  ],
  register: ({ options, name, baseDir, entry }) =>
    new ContainerModule(({ bind }) => {
      bind(SinkToken)
        .toDynamicValue((context): Sink => {
          const logger = context.get<Logger>(LoggerToken).child({ sink: name });
          const clock = context.get<Clock>(ClockToken);
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
            { stateStore: context.get<StateStore>(StateStoreToken), logger, clock },
          );
        })
        .inSingletonScope();
    }),
});
