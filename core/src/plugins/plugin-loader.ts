import { createRequire } from 'node:module';
import { isAbsolute, join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseRejectingUnknownKeys } from '../config/unknown-keys.js';
import { formatIssues } from '../domain/parse.js';
import { PluginError } from '../errors/errors.js';
import type { Plugin } from './plugin.js';

/** A plugin module after its options were validated. */
export interface LoadedPlugin {
  plugin: Plugin;
  options: unknown;
}

function isPlugin(value: unknown): value is Plugin {
  if (value === null || typeof value !== 'object') return false;
  const candidate = value as Partial<Plugin>;
  return (
    typeof candidate.name === 'string' &&
    typeof candidate.register === 'function' &&
    typeof (candidate.optionsSchema as { safeParse?: unknown } | undefined)?.safeParse ===
      'function'
  );
}

/** Resolves `use` to a module URL: a path relative to `baseDir`, or a package seen from `baseDir`. */
function resolveSpecifier(use: string, baseDir: string): string {
  if (use.startsWith('.') || isAbsolute(use)) return pathToFileURL(resolve(baseDir, use)).href;
  try {
    return pathToFileURL(createRequire(join(baseDir, 'noop.js')).resolve(use)).href;
  } catch (error) {
    // Not installed beside the config: let Node resolve it from pmsbridge's own install;
    // if that fails too, the import error reaches the user.
    if ((error as { code?: unknown }).code !== 'MODULE_NOT_FOUND') throw error;
    return use;
  }
}

/**
 * Imports the plugin named by `use` (package or path), checks that it exports the plugin
 * contract (default export or `plugin`), and validates `options` against its schema, where
 * an option the schema does not know is an error too. Errors name the config entry, the
 * plugin and the failing option.
 */
export async function loadPlugin(
  use: string,
  options: unknown,
  entry: string,
  baseDir: string,
): Promise<LoadedPlugin> {
  let module: Record<string, unknown>;
  try {
    module = (await import(resolveSpecifier(use, baseDir))) as Record<string, unknown>;
  } catch (error) {
    throw new PluginError(`${entry}: cannot load plugin "${use}": ${(error as Error).message}`, {
      cause: error,
      code: 'PMS_PLUGIN_NOT_FOUND',
    });
  }
  const plugin = [module.default, module.plugin].find(isPlugin);
  if (plugin === undefined) {
    throw new PluginError(
      `${entry}: "${use}" does not export a plugin (a default export or \`plugin\` with name, optionsSchema and register)`,
      { code: 'PMS_PLUGIN_INVALID' },
    );
  }
  // Unknown keys are errors for every plugin, whether its schema is strict or not: a typo
  // in an option must not fall back silently to the default.
  const parsed = parseRejectingUnknownKeys(plugin.optionsSchema, options ?? {});
  if (!parsed.success) {
    // Paths read like the config: `sinks[1].options.baseUrl: Invalid URL`.
    const issues = parsed.issues.map((issue) => ({
      ...issue,
      path: [entry, 'options', ...issue.path],
    }));
    throw new PluginError(`${formatIssues(issues)} (plugin ${plugin.name})`, {
      code: 'PMS_PLUGIN_OPTIONS_INVALID',
      details: { plugin: plugin.name, entry },
    });
  }
  return { plugin, options: parsed.data };
}
