import type { ContainerModule } from 'inversify';
import type { z } from 'zod';
import { createToken } from '../ports/token.js';
import type { ProviderField } from './provider-fields.js';

/** Where a plugin entry sits in the config. */
export type PluginRole = 'source' | 'stage' | 'sink';

/** What a plugin's `register` receives for one config entry. */
export interface PluginContext<Options> {
  /** The entry's options, already validated against the plugin's schema (defaults applied). */
  options: Options;
  role: PluginRole;
  /** The entry's name (config `name`, else derived from the package): name sinks and stages with it. */
  name: string;
  /** The entry's place in the config, e.g. `sinks[1]`; use it in messages. */
  entry: string;
  /** Directory of the config file: resolve relative paths in options against it. */
  baseDir: string;
}

/**
 * The contract every adapter and plugin exports as its default export (or as `plugin`).
 *
 * `register` returns an inversify `ContainerModule` that binds the plugin's
 * implementation to core's service identifiers: `ProviderSourceToken` and `SlotSourceToken`
 * for a source, `StageToken` for a stage, `SinkToken` for a sink. The module is loaded into a
 * child container of the application container, so it can inject `LoggerToken`,
 * `ClockToken`, `StateStoreToken`, `CacheToken` and its own options (`PluginOptionsToken`).
 */
export interface Plugin<Schema extends z.ZodType = z.ZodType> {
  /** The package name, e.g. `@pmsbridge/adapter-fhir`. */
  readonly name: string;
  /**
   * Validates the entry's options and applies their defaults. A key the schema does not
   * declare is reported as unknown by the loader even when the schema is a plain `z.object`
   * (which would strip it): a key present in the input but missing from the parsed output is
   * a typo to the user. Accept free-form keys with `z.record` or `z.looseObject`, and do not
   * rename keys in a `transform` (the loader would report the old name).
   */
  readonly optionsSchema: Schema;
  register(context: PluginContext<z.output<Schema>>): ContainerModule;
  /**
   * Stages and sinks: the top-level provider fields they read (`id` is always delivered).
   * A pipeline whose source delivers fewer fails config validation, naming what is missing.
   * Left out, the plugin is taken to read every field.
   */
  readonly requiredProviderFields?: readonly ProviderField[];
  /**
   * Sources: the provider fields these options make the source deliver, or `undefined`
   * for every field (the default when left out).
   */
  deliveredProviderFields?(options: z.output<Schema>): readonly ProviderField[] | undefined;
}

/** Optional hooks of a component a plugin binds. Started in config order, stopped in reverse. */
export interface Lifecycle {
  start?(signal: AbortSignal): Promise<void>;
  stop?(): Promise<void>;
}

/** The validated options of the entry a child container was made for. */
export const PluginOptionsToken = createToken<unknown>('PluginOptions');

/** Declares a plugin with its types checked; returns it unchanged. */
export function definePlugin<Schema extends z.ZodType>(plugin: Plugin<Schema>): Plugin<Schema> {
  return plugin;
}
