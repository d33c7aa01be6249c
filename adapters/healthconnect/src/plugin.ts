import { ContainerModule } from 'inversify';
import {
  CacheToken,
  ClockToken,
  LoggerToken,
  MemoryCache,
  ProviderSourceToken,
  SlotSourceToken,
  definePlugin,
  silentLogger,
  systemClock,
  type Cache,
  type Clock,
  type Logger,
} from '@pmsbridge/core';
import { createHealthConnectClient } from './create-client.js';
import { HealthConnectSource } from './healthconnect-source.js';
import { HealthConnectOptionsSchema } from './options.js';

/** This package's own binding of the source; both port tokens resolve to this one instance. */
const HealthConnectSourceId = Symbol('pmsbridge.adapter-healthconnect.source');

/**
 * The HealthConnect source plugin: binds `ProviderSourceToken` and `SlotSourceToken` to
 * one {@link HealthConnectSource}. Uses the application's logger, cache and clock, with
 * defaults when the application binds none.
 */
export const healthConnectPlugin = definePlugin({
  name: '@pmsbridge/adapter-healthconnect',
  optionsSchema: HealthConnectOptionsSchema,
  deliveredProviderFields: (options) => options.fields,
  register(ctx) {
    return new ContainerModule(({ bind, isBound }) => {
      if (!isBound(LoggerToken)) bind(LoggerToken).toConstantValue(silentLogger);
      if (!isBound(CacheToken))
        bind(CacheToken).toConstantValue(new MemoryCache({ maxEntries: 1000 }));
      if (!isBound(ClockToken)) bind(ClockToken).toConstantValue(systemClock);
      bind(HealthConnectSourceId)
        .toDynamicValue((context) => {
          const client = createHealthConnectClient(ctx.options, {
            logger: context.get<Logger>(LoggerToken).child({ plugin: ctx.name }),
            cache: context.get<Cache>(CacheToken),
            clock: context.get<Clock>(ClockToken),
            baseDir: ctx.baseDir,
          });
          return new HealthConnectSource(client);
        })
        .inSingletonScope();
      bind(ProviderSourceToken).toService(HealthConnectSourceId);
      bind(SlotSourceToken).toService(HealthConnectSourceId);
    });
  },
});
