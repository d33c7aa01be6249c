import { readFile } from 'node:fs/promises';
import { dirname, extname, resolve } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { formatIssues } from '../domain/parse.js';
import { ConfigError } from '../errors/errors.js';
import { PipelineConfigSchema, type PipelineConfig } from './config-schema.js';
import { interpolateEnv } from './interpolate.js';
import { parseRejectingUnknownKeys } from './unknown-keys.js';

/** A validated config and the directory its relative paths are resolved against. */
export interface LoadedConfig {
  config: PipelineConfig;
  baseDir: string;
  path: string;
}

/**
 * Reads a JSON or YAML config file, substitutes `${ENV_VAR}` references and validates it.
 * Errors name the field, e.g. `sinks[1].use: Invalid input`; a key the schema does not know
 * is an error too (`sync.batchsize: unknown key (did you mean batchSize?)`).
 */
export async function loadConfig(
  path: string,
  env: Readonly<Record<string, string | undefined>> = process.env,
): Promise<LoadedConfig> {
  const absolute = resolve(path);
  let text: string;
  try {
    text = await readFile(absolute, 'utf8');
  } catch (error) {
    throw new ConfigError(`Cannot read config file ${absolute}: ${(error as Error).message}`, {
      cause: error,
      code: 'PMS_CONFIG_UNREADABLE',
    });
  }
  return {
    config: parseConfig(text, env, extname(absolute)),
    baseDir: dirname(absolute),
    path: absolute,
  };
}

/** Parses config text (JSON or YAML; `format` is a file extension hint). */
export function parseConfig(
  text: string,
  env: Readonly<Record<string, string | undefined>> = process.env,
  format = '.yaml',
): PipelineConfig {
  let raw: unknown;
  try {
    raw = format === '.json' ? JSON.parse(text) : parseYaml(text);
  } catch (error) {
    throw new ConfigError(
      `The config is not valid ${format === '.json' ? 'JSON' : 'YAML'}: ${(error as Error).message}`,
      { cause: error, code: 'PMS_CONFIG_SYNTAX' },
    );
  }
  const result = parseRejectingUnknownKeys(PipelineConfigSchema, interpolateEnv(raw, env));
  if (!result.success) {
    throw new ConfigError(`Invalid config: ${formatIssues(result.issues)}`, {
      code: result.issues.some((issue) => issue.message.startsWith('unknown key'))
        ? 'PMS_CONFIG_UNKNOWN_KEY'
        : 'PMS_CONFIG_INVALID',
      details: {
        issues: result.issues.map((issue) => ({ path: issue.path, message: issue.message })),
      },
    });
  }
  return result.data;
}
