import { isAbsolute, resolve } from 'node:path';
import { ContentDiff, defineSink } from '@pmsbridge/core';
import {
  MAPPED_PROVIDER_FIELDS,
  UnmappedSpecialtyLog,
  mappingOptionsOf,
} from '@pmsbridge/fhir-mapping';
import { BulkPublishSink } from './bulk-publish-sink.js';
import { optionsSchema } from './options-schema.js';

/** The `@pmsbridge/adapter-smart-scheduling-links` sink: a {@link BulkPublishSink}. */
export const publicationPlugin = defineSink({
  id: '@pmsbridge/adapter-smart-scheduling-links',
  options: optionsSchema,
  needs: { logger: 'logger', clock: 'clock', state: 'state' },
  requiredProviderFields: MAPPED_PROVIDER_FIELDS,
  create: ({ options, name, baseDir, entry, services: { logger: pluginLogger, clock, state } }) => {
    const logger = pluginLogger.child({ sink: name });
    const outputDir = isAbsolute(options.outputDir)
      ? options.outputDir
      : resolve(baseDir, options.outputDir);
    return new BulkPublishSink(
      {
        name,
        outputDir,
        outputDirOption: `${entry}.options.outputDir`,
        splitBy: options.splitBy,
        providerGroups: options.providerGroups,
        includePractitionerRoles: options.includePractitionerRoles,
        baseUrl: options.baseUrl,
        mapping: mappingOptionsOf(options, new UnmappedSpecialtyLog(logger)),
        contentDiff: new ContentDiff(state, `smart-scheduling-links:${name}`, clock),
      },
      clock,
      logger,
    );
  },
});
