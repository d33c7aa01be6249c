import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { request } from 'undici';

/** A transaction Bundle as a FHIR client sent it. */
export interface RecordedTransaction {
  entry?: Array<{ request?: { method?: string; url?: string } }>;
}

/** A loopback HTTP proxy in front of a FHIR server that keeps every transaction it forwards. */
export interface TransactionRecorder {
  /** The proxied FHIR base URL, to configure a sink with. */
  readonly baseUrl: string;
  /** Transaction Bundles forwarded since start or the last {@link TransactionRecorder.clear}. */
  readonly transactions: RecordedTransaction[];
  clear(): void;
  close(): Promise<void>;
}

/** A request's whole body. */
export async function readBody(incoming: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of incoming) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

/** What the upstream server answered to a forwarded request. */
export interface ForwardedAnswer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
}

/** Sends `incoming` (its method, path, headers and `body`) on to `target`'s origin. */
export async function forward(
  incoming: IncomingMessage,
  body: Buffer,
  target: URL,
): Promise<ForwardedAnswer> {
  const headers = { ...incoming.headers, host: target.host };
  delete headers['content-length'];
  const response = await request(new URL(incoming.url ?? '/', target.origin), {
    method: incoming.method as 'GET',
    headers,
    body: body.length > 0 ? body : undefined,
  });
  const answer = Buffer.from(await response.body.arrayBuffer());
  const { 'transfer-encoding': _encoding, ...responseHeaders } = response.headers;
  return { status: response.statusCode, headers: responseHeaders, body: answer };
}

/**
 * Starts a proxy that forwards every request to `fhirBaseUrl` unchanged and records the
 * bodies of transaction Bundles, so a test can see exactly what a sink sent.
 */
export async function startTransactionRecorder(fhirBaseUrl: string): Promise<TransactionRecorder> {
  const target = new URL(fhirBaseUrl);
  const transactions: RecordedTransaction[] = [];
  const server: Server = createServer((incoming, outgoing) => {
    void (async () => {
      const body = await readBody(incoming);
      if (incoming.method === 'POST' && body.length > 0) {
        const parsed = JSON.parse(body.toString('utf8')) as { type?: string };
        if (parsed.type === 'transaction') transactions.push(parsed as RecordedTransaction);
      }
      const answer = await forward(incoming, body, target);
      outgoing.writeHead(answer.status, answer.headers);
      outgoing.end(answer.body);
    })().catch((error: unknown) => {
      outgoing.writeHead(502, { 'content-type': 'text/plain' });
      outgoing.end(String(error));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    baseUrl: `http://127.0.0.1:${port}${target.pathname}`,
    transactions,
    clear: () => {
      transactions.length = 0;
    },
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((error) => (error === undefined ? resolve() : reject(error)));
      }),
  };
}
