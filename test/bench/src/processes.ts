import { spawn, type ChildProcess } from 'node:child_process';
import { createRequire } from 'node:module';
import { once } from 'node:events';
import { request } from 'undici';

const require = createRequire(import.meta.url);

/** A server started in its own process, so it does not share the client's event loop. */
export interface ServerProcess {
  lines: string[];
  stop(): Promise<void>;
}

function packageFile(name: string, file: string): string {
  return require.resolve(name).replace(/dist\/index\.js$/, file);
}

async function startServer(script: string, args: string[], ready: RegExp): Promise<ServerProcess> {
  const child = spawn(process.execPath, [script, ...args], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const lines: string[] = [];
  let buffer = '';
  await new Promise<void>((resolve, reject) => {
    child.once('exit', (code) =>
      reject(new Error(`${script} exited with ${code} before it was ready`)),
    );
    child.stdout?.on('data', (chunk: Buffer) => {
      buffer += chunk.toString();
      const parts = buffer.split('\n');
      buffer = parts.pop() ?? '';
      lines.push(...parts);
      if (lines.some((line) => ready.test(line))) resolve();
    });
  });
  return { lines, stop: () => stopChild(child) };
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return;
  child.kill('SIGTERM');
  await once(child, 'exit');
}

function field(lines: string[], label: string): string {
  const line = lines.find((text) => text.trim().startsWith(label));
  const value = line?.slice(line.indexOf(label) + label.length).trim();
  if (value === undefined || value === '') throw new Error(`no "${label}" in server output`);
  return value;
}

/** Optional behaviour of the sandbox process: its CLI's `--faults`, `--rate-limit` and `--burst`. */
export interface SandboxProcessOptions {
  /** Fault spec in the CLI form, e.g. `*:slow=30@1` (every request 30 ms late). */
  faults?: string;
  /** Requests per second per client (a token bucket). */
  rateLimit?: number;
  /** Bucket capacity; the sandbox's default is the rate. */
  burst?: number;
}

/** The sandbox CLI in a child process. */
export async function startSandboxProcess(
  providers: number,
  credentials: { clientId: string; clientSecret: string },
  options: SandboxProcessOptions = {},
) {
  const extra = [
    ...(options.faults === undefined ? [] : ['--faults', options.faults]),
    ...(options.rateLimit === undefined ? [] : ['--rate-limit', String(options.rateLimit)]),
    ...(options.burst === undefined ? [] : ['--burst', String(options.burst)]),
  ];
  const server = await startServer(
    packageFile('@pmsbridge/healthconnect-sandbox', 'dist/cli.js'),
    [
      '--port',
      '0',
      '--providers',
      String(providers),
      '--seed',
      '42',
      '--client-id',
      credentials.clientId,
      '--client-secret',
      credentials.clientSecret,
      ...extra,
    ],
    /OpenAPI:/,
  );
  const baseUrl = field(server.lines, 'base URL:');
  return {
    ...server,
    baseUrl,
    tokenUrl: field(server.lines, 'token URL:'),
    origin: new URL(baseUrl).origin,
  };
}

/** Changes `share` of the providers through the sandbox's admin API; returns how many. */
export async function changeProviders(
  origin: string,
  count: number,
  share: number,
): Promise<number> {
  const changed = Math.max(1, Math.round(count * share));
  const stride = Math.floor(count / changed);
  for (let i = 0; i < changed; i += 1) {
    const id = `PRV${String(1 + i * stride).padStart(10, '0')}`;
    const response = await request(`${origin}/_sandbox/providers/${id}`, {
      method: 'PATCH',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ accepting_new_patients: i % 2 === 0 }),
    });
    await response.body.dump();
    if (response.statusCode >= 300)
      throw new Error(`changing ${id} failed with HTTP ${response.statusCode}`);
  }
  return changed;
}

/** The test FHIR server CLI in a child process. */
export async function startFhirServerProcess() {
  const server = await startServer(
    packageFile('@pmsbridge/test-fhir-server', 'dist/cli.js'),
    ['--port', '0'],
    /https?:\/\//,
  );
  const url = server.lines
    .map((line) => /https?:\/\/\S+/.exec(line)?.[0])
    .find((match) => match !== undefined);
  if (url === undefined) throw new Error('the FHIR server printed no URL');
  return { ...server, baseUrl: url };
}

/** Runs a bench step in a child process and returns the JSON it printed last. */
export async function runStep<T>(script: string, input: unknown): Promise<T> {
  const child = spawn(process.execPath, [script, JSON.stringify(input)], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const [code] = (await once(child, 'exit')) as [number | null];
  if (code !== 0) throw new Error(`${script} failed with exit code ${code}`);
  const last = output.trim().split('\n').at(-1) ?? '';
  return JSON.parse(last) as T;
}

/** The HL7 v2 test peer CLI in a child process, quiet; `accepted()` after `stop()` reads its count. */
export async function startHl7PeerProcess() {
  const server = await startServer(
    packageFile('@pmsbridge/test-hl7-peer', 'dist/cli.js'),
    ['--port', '0', '--quiet'],
    /^mllp:\/\//,
  );
  const port = Number(/:(\d+)$/.exec(server.lines.find((l) => l.startsWith('mllp://')) ?? '')?.[1]);
  return {
    ...server,
    port,
    /** How many messages the peer accepted, from the line it prints when stopped. */
    accepted: () =>
      Number(
        /^accepted (\d+)/.exec(server.lines.find((l) => l.startsWith('accepted ')) ?? '')?.[1],
      ),
  };
}
