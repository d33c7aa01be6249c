/** What a command receives. */
export interface CommandContext {
  /** The arguments after the command's name, e.g. `['serve', './publication', '--port', '8080']`. */
  argv: string[];
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
  /** Aborted on SIGINT or SIGTERM: a long-running command stops cleanly when it fires. */
  signal: AbortSignal;
}

/** The brand every command definition carries, recognised across copies of core. */
export const COMMAND_DEFINITION = Symbol.for('pmsbridge.command-definition');

/** A subcommand of `pmsbridge` that a package other than core provides. */
export interface CommandDefinition {
  readonly [COMMAND_DEFINITION]: true;
  /** The word after `pmsbridge`, e.g. `publish`. */
  readonly name: string;
  /** One line for `pmsbridge --help`. */
  readonly summary: string;
  /** The usage text `pmsbridge <name> --help` prints. */
  readonly usage: string;
  /**
   * Runs the command and resolves to its exit code: 0 success, 1 failure, 2 usage or config
   * error. A thrown error is reported by the CLI with its code, as for core's commands.
   */
  run(context: CommandContext): Promise<number>;
}

/**
 * Defines a `pmsbridge` subcommand in a package other than core (an adapter's operator
 * command); export it as the default export of the package's `./command` subpath.
 */
export function defineCommand(
  definition: Omit<CommandDefinition, typeof COMMAND_DEFINITION>,
): CommandDefinition {
  return { ...definition, [COMMAND_DEFINITION]: true };
}

/** Whether `value` was made by {@link defineCommand}. */
export function isCommandDefinition(value: unknown): value is CommandDefinition {
  return (
    typeof value === 'object' &&
    value !== null &&
    (value as Record<symbol, unknown>)[COMMAND_DEFINITION] === true
  );
}

/**
 * The commands of pmsbridge's own adapters: name → the package subpath that defines it and
 * what to install when it is missing. They are imported only when used, so core keeps no
 * static dependency on any adapter.
 */
export const ADAPTER_COMMANDS: Readonly<
  Record<string, { module: string; install: string; summary: string }>
> = {
  webhooks: {
    module: '@pmsbridge/adapter-healthconnect/command',
    install: '@pmsbridge/adapter-healthconnect',
    summary: 're-read a provider whenever HealthConnect sends a webhook about it',
  },
  distribute: {
    module: '@pmsbridge/adapter-postgres/distribute',
    install: '@pmsbridge/adapter-postgres',
    summary: 'run a full sync as shards that pmsbridge worker processes take',
  },
  worker: {
    module: '@pmsbridge/adapter-postgres/worker',
    install: '@pmsbridge/adapter-postgres',
    summary: 'run shards of distributed full syncs',
  },
  publish: {
    module: '@pmsbridge/adapter-smart-scheduling-links/command',
    install: '@pmsbridge/adapter-smart-scheduling-links',
    summary: 'serve a SMART Scheduling Links bulk publication over HTTP',
  },
};
