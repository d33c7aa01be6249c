import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { openSyncApp } from '../app/sync-app.js';
import { MemoryCache } from '../cache/memory-cache.js';
import { silentLogger } from '../logging/logger.js';
import { assemblePipeline } from '../plugins/pipeline-assembly.js';
import { systemClock } from '../ports/clock.js';
import { MemoryStateStore } from '../state/memory-state-store.js';
import { loadConfig } from '../config/config-loader.js';
import {
  ConfigError,
  ErrorCode,
  errorCategoryOf,
  exitCodeOf,
  isPmsbridgeError,
  PluginError,
} from '../errors/errors.js';
import { redact, redactText } from '../logging/redact.js';
import type { SyncSummary } from '../sync/run-summary.js';
import { ADAPTER_COMMANDS, isCommandDefinition, type CommandDefinition } from './command.js';
import { formatSummary } from './format-summary.js';
import { ProgressReporter } from './progress-reporter.js';
import { runServe } from './serve-command.js';

/**
 * Exit codes: 0 success, 1 the run failed, 2 usage or config error. An error's code decides
 * between 1 and 2 (`exitCodeOf`; docs/errors.md gives each code's).
 */
export const ExitCode = { Ok: 0, Failed: 1, Usage: 2 } as const;

const HELP = `pmsbridge — sync HealthConnect provider and schedule data into FHIR and practice systems

Usage:
  pmsbridge sync --config FILE [--mode full|incremental] [--dry-run] [--json]
  pmsbridge validate --config FILE
  pmsbridge dlq list --config FILE [--json]
  pmsbridge dlq replay --config FILE [--json]
  pmsbridge dlq purge --config FILE
  pmsbridge serve --config FILE [--port 8095]                      (see pmsbridge serve --help)
  pmsbridge webhooks --config FILE [--port 8090] [--subscribe] …   (see pmsbridge webhooks --help)
  pmsbridge publish serve DIR [--port 8080] [--base-url URL] …      (see pmsbridge publish --help)
  pmsbridge distribute --config FILE [--shards 20]                 (see pmsbridge distribute --help)
  pmsbridge worker --config FILE [--port N]                        (see pmsbridge worker --help)
  pmsbridge --help | --version

Commands:
  sync       run a full or incremental sync of the config's pipeline
  validate   check the config and every plugin it names, start nothing
  dlq        list, replay or purge the pipeline's dead letters
  serve      the provider directory, availability and booking HTTP API
  webhooks   re-read a provider whenever HealthConnect sends a webhook about it
  publish    serve a SMART Scheduling Links bulk publication over HTTP
  distribute run a full sync as shards that pmsbridge worker processes take
  worker     run shards of distributed full syncs

Options:
  -c, --config FILE   pipeline config (JSON or YAML; \${ENV_VAR} references are substituted)
  -m, --mode MODE     full (everything) or incremental (changes since the last run; default)
      --dry-run       report what would be created, updated and withdrawn; write nothing
      --json          print the result as one JSON object on stdout
  -h, --help          show this help
  -v, --version       show the version

Exit codes: 0 success, 1 the run failed (including a sync that dead-lettered more than
sync.deadLetterThreshold of its records), 2 usage, config or plugin error. Errors end
with their code, e.g. [PMS_CONFIG_UNKNOWN_KEY]; docs/errors.md says what each means.`;

interface Io {
  stdout: NodeJS.WriteStream;
  stderr: NodeJS.WriteStream;
}

class UsageError extends ConfigError {
  constructor(message: string) {
    super(message, { code: ErrorCode.CliUsage });
  }
}

function version(): string {
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
    version: string;
  };
  return pkg.version;
}

function parse(argv: string[]) {
  try {
    return parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        config: { type: 'string', short: 'c' },
        mode: { type: 'string', short: 'm' },
        'dry-run': { type: 'boolean' },
        json: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
        version: { type: 'boolean', short: 'v' },
      },
    });
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
}

/** Runs the CLI with `argv` (without `node` and the script) and returns the exit code. */
export async function runCli(
  argv: string[],
  io: Io = { stdout: process.stdout, stderr: process.stderr },
): Promise<number> {
  const controller = new AbortController();
  const onSignal = (): void => controller.abort();
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    if (argv[0] === 'serve') return await runServe(argv.slice(1), io, controller.signal);
    const adapterCommand = argv[0] === undefined ? undefined : ADAPTER_COMMANDS[argv[0]];
    if (adapterCommand !== undefined) {
      const definition = await loadAdapterCommand(argv[0] as string, adapterCommand);
      return await definition.run({
        argv: argv.slice(1),
        stdout: io.stdout,
        stderr: io.stderr,
        signal: controller.signal,
      });
    }
    const { values, positionals } = parse(argv);
    if (values.version === true) {
      io.stdout.write(`${version()}\n`);
      return ExitCode.Ok;
    }
    const [command, subcommand] = positionals;
    if (values.help === true || command === undefined || command === 'help') {
      io.stdout.write(`${HELP}\n`);
      return values.help === true || command === 'help' ? ExitCode.Ok : ExitCode.Usage;
    }
    if (values.config === undefined) throw new UsageError('--config FILE is required');
    const loaded = await loadConfig(values.config);
    switch (command) {
      case 'validate':
        await validatePlugins(loaded);
        io.stdout.write(
          `${loaded.path}: valid (pipeline "${loaded.config.pipeline}", ${loaded.config.stages.length} stage(s), ${loaded.config.sinks.length} sink(s))\n`,
        );
        return ExitCode.Ok;
      case 'sync':
        return await sync(loaded, values, controller.signal, io);
      case 'dlq':
        return await deadLetters(loaded, subcommand, values.json === true, controller.signal, io);
      default:
        throw new UsageError(`unknown command "${command}"`);
    }
  } catch (error) {
    return reportError(error, io, argv.includes('--json'));
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}

/** Imports the command an adapter defines, or says which package to install. */
async function loadAdapterCommand(
  name: string,
  command: (typeof ADAPTER_COMMANDS)[string],
): Promise<CommandDefinition> {
  let module: Record<string, unknown>;
  try {
    module = (await import(command.module)) as Record<string, unknown>;
  } catch (error) {
    throw new PluginError(
      `pmsbridge ${name} comes with ${command.install}, which cannot be loaded (${(error as Error).message}); install it: npm install ${command.install}`,
      { code: 'PMS_PLUGIN_NOT_FOUND', cause: error },
    );
  }
  if (!isCommandDefinition(module.default)) {
    throw new PluginError(`${command.module} does not define the ${name} command`, {
      code: 'PMS_PLUGIN_INVALID',
    });
  }
  return module.default;
}

/** Loads every plugin and validates its options without starting anything. */
async function validatePlugins(loaded: Awaited<ReturnType<typeof loadConfig>>): Promise<void> {
  await assemblePipeline(loaded.config, loaded.baseDir, {
    logger: silentLogger,
    state: new MemoryStateStore(),
    clock: systemClock,
    cache: new MemoryCache(),
  });
}

async function sync(
  loaded: Awaited<ReturnType<typeof loadConfig>>,
  values: { mode?: string; 'dry-run'?: boolean; json?: boolean },
  signal: AbortSignal,
  io: Io,
): Promise<number> {
  const mode = values.mode ?? 'incremental';
  if (mode !== 'full' && mode !== 'incremental')
    throw new UsageError(`--mode must be full or incremental, got "${mode}"`);
  const app = await openSyncApp(loaded, { signal });
  const progress = new ProgressReporter(io.stderr);
  try {
    const summary = await app.engine.run({
      ...app.syncOptions,
      mode,
      dryRun: values['dry-run'] === true,
      signal,
      onProgress: (update) => progress.update(update),
    });
    progress.stop();
    io.stdout.write(
      values.json === true
        ? `${JSON.stringify(summaryJson(summary))}\n`
        : `${formatSummary(summary)}\n`,
    );
    if (summary.failure === undefined) return ExitCode.Ok;
    io.stderr.write(`pmsbridge: ${summary.failure.message} [${summary.failure.code}]\n`);
    return ExitCode.Failed;
  } finally {
    progress.stop();
    await app.close();
  }
}

/**
 * The `--json` form of a sync summary: `ok`, and on a run judged failed the same `error`
 * object a failed command prints, so scripts check one shape whatever happened.
 */
function summaryJson(summary: SyncSummary): Record<string, unknown> {
  const { failure, ...rest } = summary;
  if (failure === undefined) return { ok: true, ...rest };
  return { ok: false, ...rest, error: { ...failure, category: errorCategoryOf(failure.code) } };
}

async function deadLetters(
  loaded: Awaited<ReturnType<typeof loadConfig>>,
  action: string | undefined,
  isJson: boolean,
  signal: AbortSignal,
  io: Io,
): Promise<number> {
  if (action !== 'list' && action !== 'replay' && action !== 'purge') {
    throw new UsageError('dlq needs one of: list, replay, purge');
  }
  // Dead letters live in an existing state file: a missing one is a mistake, not a fresh start.
  const app = await openSyncApp(loaded, { signal, createState: false });
  try {
    const pipeline = loaded.config.pipeline;
    if (action === 'list') {
      const letters = await app.state.listDeadLetters(pipeline);
      // Records and reasons come from outside: scrub them like log lines.
      if (isJson) io.stdout.write(`${JSON.stringify(redact(letters))}\n`);
      else {
        for (const letter of letters) {
          io.stdout.write(
            `#${letter.id} ${letter.key} [${letter.stage}] ${letter.reason.code}: ${redactText(letter.reason.message)} (attempts ${letter.attempts}, last ${letter.lastSeenAt})\n`,
          );
        }
        io.stdout.write(`${letters.length} dead letter(s)\n`);
      }
    } else if (action === 'replay') {
      const summary = await app.engine.replayDeadLetters({ ...app.syncOptions, signal });
      io.stdout.write(isJson ? `${JSON.stringify(summary)}\n` : `${formatSummary(summary)}\n`);
    } else {
      const removed = await app.state.purgeDeadLetters(pipeline);
      io.stdout.write(`${removed} dead letter(s) purged\n`);
    }
    return ExitCode.Ok;
  } finally {
    await app.close();
  }
}

function reportError(error: unknown, io: Io, isJson: boolean): number {
  const message = redactText(error instanceof Error ? error.message : String(error));
  const code = isPmsbridgeError(error) ? error.code : undefined;
  io.stderr.write(`pmsbridge: ${message}${code === undefined ? '' : ` [${code}]`}\n`);
  // Scripts reading --json output get one object on stdout whatever happened.
  if (isJson)
    io.stdout.write(
      `${JSON.stringify({ ok: false, error: jsonError(code ?? ErrorCode.Unexpected, message) })}\n`,
    );
  if (code === ErrorCode.CliUsage) io.stderr.write('Run pmsbridge --help for usage.\n');
  return code === undefined ? ExitCode.Failed : exitCodeOf(code);
}

/** The `error` of `--json` output: `code` names the reason, `category` its family. */
function jsonError(code: string, message: string): Record<string, string> {
  return { code, category: errorCategoryOf(code), message };
}
