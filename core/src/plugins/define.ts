import type { z } from 'zod';
import type { Cache } from '../ports/cache.js';
import type { Clock } from '../ports/clock.js';
import type { Logger } from '../ports/logger.js';
import type { MetricsRecorder } from '../ports/metrics-recorder.js';
import type { ProviderSource } from '../ports/provider-source.js';
import type { BookingPort } from '../ports/booking-port.js';
import type { Sink } from '../ports/sink.js';
import type { SlotSource } from '../ports/slot-source.js';
import type { Stage } from '../ports/stage.js';
import type { StateStore } from '../ports/state-store.js';
import type { ProviderField } from './provider-fields.js';

/** The services a plugin can ask for, by name. The runtime provides each one. */
export interface PluginServices {
  /** A logger whose lines name the config entry (`{ plugin: <entry name> }`). */
  logger: Logger;
  /** The time; tests swap it for a manual one. */
  clock: Clock;
  /** The pipeline's state store: checkpoints, dead letters, seen ids, content hashes, leases. */
  state: StateStore;
  /** The application's in-memory cache, shared by every plugin. */
  cache: Cache;
  /**
   * Where to report metrics (an HTTP client's calls, a queue's depth); records nothing when
   * the process exposes no metrics.
   */
  metrics: MetricsRecorder;
}

/** The services the runtime holds; `metrics` may be left out (plugins then get `noMetrics`). */
export type RuntimeServices = Omit<PluginServices, 'metrics'> & { metrics?: MetricsRecorder };

/** The name of one of the {@link PluginServices}. */
export type ServiceName = keyof PluginServices;

/** Every service name, for checks and messages. */
export const SERVICE_NAMES: readonly ServiceName[] = [
  'logger',
  'clock',
  'state',
  'cache',
  'metrics',
];

/**
 * What a plugin needs: the names it wants in `create` mapped to the service each one is,
 * e.g. `{ log: 'logger', store: 'state' }`.
 */
export type Needs = Readonly<Record<string, ServiceName>>;

/** The services a {@link Needs} map asks for, under the plugin's own names. */
export type Provided<N extends Needs> = { [K in keyof N]: PluginServices[N[K]] };

/** Where a plugin entry sits in the config. */
export type PluginKind = 'source' | 'stage' | 'sink' | 'state' | 'booking';

/** What `create` receives for one config entry. */
export interface CreateContext<Options, N extends Needs> {
  /** The entry's options, validated against the plugin's schema (defaults applied). */
  options: Options;
  /** The services named in the plugin's `needs`. */
  services: Provided<N>;
  /** The entry's name (config `name`, else derived from `use`): name stages and sinks with it. */
  name: string;
  /** The entry's place in the config, e.g. `sinks[1]`; use it in messages. */
  entry: string;
  /** Directory of the config file: resolve relative paths in options against it. */
  baseDir: string;
}

/** Optional hooks of what a plugin creates. Started in config order, stopped in reverse. */
export interface Lifecycle {
  start?(signal: AbortSignal): Promise<void>;
  stop?(): Promise<void>;
}

/** What a source plugin creates: a provider source, and a slot source too when it has schedules. */
export type SourceComponent = ProviderSource & Partial<SlotSource> & Lifecycle;

/** The brand every definition carries, recognised across copies of core. */
export const PLUGIN_DEFINITION = Symbol.for('pmsbridge.plugin-definition');

interface DefinitionBase<Kind extends PluginKind, Schema extends z.ZodType, N extends Needs> {
  readonly [PLUGIN_DEFINITION]: true;
  readonly kind: Kind;
  /**
   * The plugin's id: its npm package name (`@acme/pmsbridge-audit`, plus the module's subpath
   * when the package holds several plugins) or, for a plugin in a local file, a name of the
   * same form (`audit-sink`). Logs and error messages use it.
   */
  readonly id: string;
  /**
   * Validates an entry's options and applies their defaults. A key the schema does not
   * declare is reported as unknown even when the schema is a plain `z.object` (which would
   * strip it). Accept free-form keys with `z.record` or `z.looseObject`, and do not rename
   * keys in a `transform` (the loader would report the old name).
   */
  readonly options: Schema;
  /** The services `create` receives; none when left out. */
  readonly needs?: N;
}

/** A source plugin: see {@link defineSource}. */
export interface SourceDefinition<
  Schema extends z.ZodType = z.ZodType,
  N extends Needs = Needs,
> extends DefinitionBase<'source', Schema, N> {
  create(context: CreateContext<z.output<Schema>, N>): SourceComponent | Promise<SourceComponent>;
  /**
   * The provider fields these options make the source deliver, or `undefined` for every field
   * (the default when left out).
   */
  deliveredProviderFields?(options: z.output<Schema>): readonly ProviderField[] | undefined;
}

/** A stage plugin: see {@link defineStage}. */
export interface StageDefinition<
  Schema extends z.ZodType = z.ZodType,
  N extends Needs = Needs,
> extends DefinitionBase<'stage', Schema, N> {
  create(
    context: CreateContext<z.output<Schema>, N>,
  ): (Stage & Lifecycle) | Promise<Stage & Lifecycle>;
  /**
   * The top-level provider fields the stage reads (`id` is always delivered). A pipeline whose
   * source delivers fewer fails config validation. Left out: every field.
   */
  readonly requiredProviderFields?: readonly ProviderField[];
}

/** A sink plugin: see {@link defineSink}. */
export interface SinkDefinition<
  Schema extends z.ZodType = z.ZodType,
  N extends Needs = Needs,
> extends DefinitionBase<'sink', Schema, N> {
  create(
    context: CreateContext<z.output<Schema>, N>,
  ): (Sink & Lifecycle) | Promise<Sink & Lifecycle>;
  /** The top-level provider fields the sink reads; see {@link StageDefinition.requiredProviderFields}. */
  readonly requiredProviderFields?: readonly ProviderField[];
}

/** A state-store plugin: see {@link defineStateStore}. */
export interface StateStoreDefinition<
  Schema extends z.ZodType = z.ZodType,
  N extends Needs = Needs,
> extends DefinitionBase<'state', Schema, N> {
  create(
    context: CreateContext<z.output<Schema>, N> & {
      /**
       * True when the command only reads or tidies existing state (`pmsbridge dlq`): a store
       * with no state yet should refuse rather than answer from an empty one.
       */
      mustExist: boolean;
    },
  ): StateStore | Promise<StateStore>;
}

/** A booking plugin: see {@link defineBookingPort}. */
export interface BookingPortDefinition<
  Schema extends z.ZodType = z.ZodType,
  N extends Needs = Needs,
> extends DefinitionBase<'booking', Schema, N> {
  create(
    context: CreateContext<z.output<Schema>, N>,
  ): (BookingPort & Lifecycle) | Promise<BookingPort & Lifecycle>;
}

/** Any plugin definition. */
export type PluginDefinition =
  | SourceDefinition
  | StageDefinition
  | SinkDefinition
  | StateStoreDefinition
  | BookingPortDefinition;

type Authored<D> = Omit<D, typeof PLUGIN_DEFINITION | 'kind'>;

/**
 * Defines a source plugin: where provider records come from (and their schedules, when the
 * object `create` returns also has `getSchedule`). Export it as the module's default export.
 */
export function defineSource<
  Schema extends z.ZodType,
  const N extends Needs = Record<never, never>,
>(definition: Authored<SourceDefinition<Schema, N>>): SourceDefinition<Schema, N> {
  return { ...definition, kind: 'source', [PLUGIN_DEFINITION]: true };
}

/**
 * Defines a stage plugin: a step every record passes through (filter, enrich, validate).
 * Export it as the module's default export.
 *
 * @example
 * ```ts
 * export default defineStage({
 *   id: 'accepting-only',
 *   options: z.object({}),
 *   needs: { log: 'logger' },
 *   requiredProviderFields: ['acceptingNewPatients'],
 *   create: ({ name, services: { log } }) => ({
 *     name,
 *     process: (record) => {
 *       if (record.kind !== 'provider' || record.provider.acceptingNewPatients) return record;
 *       log.debug('dropped', { provider: record.provider.id });
 *       return null;
 *     },
 *   }),
 * });
 * ```
 */
export function defineStage<Schema extends z.ZodType, const N extends Needs = Record<never, never>>(
  definition: Authored<StageDefinition<Schema, N>>,
): StageDefinition<Schema, N> {
  return { ...definition, kind: 'stage', [PLUGIN_DEFINITION]: true };
}

/**
 * Defines a sink plugin: where records end up. A sink that can report what it would change
 * without changing anything says so with `supportsDryRun: true` on the object `create`
 * returns; any other sink is not written to during `--dry-run`. Export it as the module's
 * default export.
 */
export function defineSink<Schema extends z.ZodType, const N extends Needs = Record<never, never>>(
  definition: Authored<SinkDefinition<Schema, N>>,
): SinkDefinition<Schema, N> {
  return { ...definition, kind: 'sink', [PLUGIN_DEFINITION]: true };
}

/**
 * Defines a state-store plugin: where a pipeline keeps checkpoints, dead letters, seen ids,
 * content hashes and leases (config `state: { use, options }`). It cannot need `state`
 * itself. Check it with `describeStateStoreContract` from `@pmsbridge/core/testing`.
 */
export function defineStateStore<
  Schema extends z.ZodType,
  const N extends Needs = Record<never, never>,
>(definition: Authored<StateStoreDefinition<Schema, N>>): StateStoreDefinition<Schema, N> {
  return { ...definition, kind: 'state', [PLUGIN_DEFINITION]: true };
}

/**
 * Defines a booking plugin: the partner system `pmsbridge serve` books appointments in
 * (config `booking: { use, options }`), as a {@link BookingPort}. Export it as the module's
 * default export.
 */
export function defineBookingPort<
  Schema extends z.ZodType,
  const N extends Needs = Record<never, never>,
>(definition: Authored<BookingPortDefinition<Schema, N>>): BookingPortDefinition<Schema, N> {
  return { ...definition, kind: 'booking', [PLUGIN_DEFINITION]: true };
}

/** Whether `value` is a plugin definition made by {@link defineSource}, {@link defineStage} or {@link defineSink}. */
export function isPluginDefinition(value: unknown): value is PluginDefinition {
  return (
    typeof value === 'object' &&
    value !== null &&
    (value as Record<symbol, unknown>)[PLUGIN_DEFINITION] === true
  );
}
