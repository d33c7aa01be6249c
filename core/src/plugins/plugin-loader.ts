import { createRequire } from 'node:module';
import { isAbsolute, join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseRejectingUnknownKeys } from '../config/unknown-keys.js';
import { formatIssues } from '../domain/parse.js';
import { PluginError } from '../errors/errors.js';
import {
  SERVICE_NAMES,
  isPluginDefinition,
  type PluginDefinition,
  type PluginKind,
} from './define.js';

/** A plugin module after its options were validated. */
export interface LoadedPlugin {
  definition: PluginDefinition;
  options: unknown;
}

/** npm package names (with a module's subpath when a package has several), and local names of the same form. */
const PLUGIN_ID =
  /^(?:@[a-z0-9][a-z0-9._~-]*\/)?[a-z0-9][a-z0-9._~-]*(?:\/[a-z0-9][a-z0-9._~-]*)*$/;

const PLACE: Record<PluginKind, string> = {
  source: 'source',
  stage: 'stages',
  sink: 'sinks',
  state: 'state',
  booking: 'booking',
};

function invalid(message: string, details?: Record<string, unknown>): PluginError {
  return new PluginError(message, { code: 'PMS_PLUGIN_INVALID', details });
}

/** The module's plugin definition, or an error that says what is wrong and how to fix it. */
function findDefinition(
  module: Record<string, unknown>,
  use: string,
  entry: string,
): PluginDefinition {
  const candidates = [module.default, module.plugin];
  const definition = candidates.find(isPluginDefinition);
  if (definition !== undefined) return definition;
  const legacy = candidates.some(
    (c) =>
      typeof c === 'object' &&
      c !== null &&
      typeof (c as { register?: unknown }).register === 'function',
  );
  throw invalid(
    legacy
      ? `${entry}: "${use}" exports a plugin with \`register\` (a ContainerModule), which pmsbridge no longer loads; define it with defineSource, defineStage or defineSink from @pmsbridge/core`
      : `${entry}: "${use}" does not export a plugin; export one made with defineSource, defineStage or defineSink from @pmsbridge/core as the default export`,
  );
}

/** Checks what the runtime relies on before binding: id, kind and the services asked for. */
function checkDefinition(
  definition: PluginDefinition,
  use: string,
  entry: string,
  kind: PluginKind,
): void {
  if (typeof definition.id !== 'string' || !PLUGIN_ID.test(definition.id)) {
    throw invalid(
      `${entry}: "${use}" has the id ${JSON.stringify(definition.id)}; give it its npm package name (@scope/name) or a lowercase name such as "audit-sink"`,
    );
  }
  if (definition.kind !== kind) {
    throw invalid(
      `${entry}: "${definition.id}" is a ${definition.kind} plugin, listed as a ${kind}; move it under \`${PLACE[definition.kind]}\``,
    );
  }
  if (
    typeof (definition.options as { safeParse?: unknown } | undefined)?.safeParse !== 'function'
  ) {
    throw invalid(`${entry}: "${definition.id}" has no zod \`options\` schema`);
  }
  for (const [name, service] of Object.entries(definition.needs ?? {})) {
    if (definition.kind === 'state' && service === 'state') {
      throw invalid(
        `${entry}: "${definition.id}" is a state store and needs.${name} asks for the state store itself; drop it`,
        { plugin: definition.id, entry, need: name },
      );
    }
    if (!(SERVICE_NAMES as readonly string[]).includes(service)) {
      throw invalid(
        `${entry}: "${definition.id}" needs.${name} asks for ${JSON.stringify(service)}, which is not a service; the services are ${SERVICE_NAMES.join(', ')}`,
        { plugin: definition.id, entry, need: name },
      );
    }
  }
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
 * Imports the plugin named by `use` (package or path), checks that it exports a definition
 * of the expected kind (default export or `plugin`) with a valid id and known services, and
 * validates `options` against its schema, where an option the schema does not know is an
 * error too. Errors name the config entry, the plugin and the fix.
 */
export async function loadPlugin(
  use: string,
  options: unknown,
  entry: string,
  kind: PluginKind,
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
  return checkPlugin(findDefinition(module, use, entry), options, entry, kind, use);
}

/**
 * Checks a plugin definition for the config entry it serves (id, kind, services) and
 * validates the entry's options against its schema. Unknown keys are errors for every plugin,
 * whether its schema is strict or not: a typo in an option must not fall back silently to
 * the default.
 */
export function checkPlugin(
  definition: PluginDefinition,
  options: unknown,
  entry: string,
  kind: PluginKind,
  use: string = definition.id,
): LoadedPlugin {
  checkDefinition(definition, use, entry, kind);
  const parsed = parseRejectingUnknownKeys(definition.options, options ?? {});
  if (!parsed.success) {
    // Paths read like the config: `sinks[1].options.baseUrl: Invalid URL`.
    const issues = parsed.issues.map((issue) => ({
      ...issue,
      path: [entry, 'options', ...issue.path],
    }));
    throw new PluginError(`${formatIssues(issues)} (plugin ${definition.id})`, {
      code: 'PMS_PLUGIN_OPTIONS_INVALID',
      details: { plugin: definition.id, entry },
    });
  }
  return { definition, options: parsed.data };
}
