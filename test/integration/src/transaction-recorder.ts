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

async function readBody(incoming: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of incoming) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
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
      const headers = { ...incoming.headers, host: target.host };
      delete headers['content-length'];
      const response = await request(new URL(incoming.url ?? '/', target.origin), {
        method: incoming.method as 'GET',
        headers,
        body: body.length > 0 ? body : undefined,
      });
      const answer = Buffer.from(await response.body.arrayBuffer());
      const { 'transfer-encoding': _encoding, ...responseHeaders } = response.headers;
      outgoing.writeHead(response.statusCode, responseHeaders);
      outgoing.end(answer);
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
