import { request, type Dispatcher } from 'undici';
import { CancelledError } from '../errors/errors.js';

/** One HTTP request, sent as is: no retry, no auth, no error mapping. */
export interface ExchangeRequest {
  url: string;
  method: string;
  headers: Record<string, string>;
  body?: string;
  /** The caller's signal: when it aborts, the exchange fails with a `CancelledError`. */
  signal?: AbortSignal;
  /** Longest the exchange may take, from sending to the last body byte. */
  timeoutMs?: number;
  dispatcher?: Dispatcher;
}

/** The answer, whatever its status, with the whole body read. */
export interface ExchangeResponse {
  status: number;
  text: string;
  /** A response header (its first value when repeated), by lower-case name. */
  header(name: string): string | undefined;
}

/**
 * Sends `req` over undici and reads the whole body. Throws a `CancelledError` when the
 * caller's signal aborted it; any other failure (refused, reset, timed out) is undici's
 * error, for the caller to wrap in its own.
 */
export async function exchange(req: ExchangeRequest): Promise<ExchangeResponse> {
  const signals: AbortSignal[] = [];
  if (req.timeoutMs !== undefined) signals.push(AbortSignal.timeout(req.timeoutMs));
  if (req.signal !== undefined) signals.push(req.signal);
  try {
    const response = await request(req.url, {
      method: req.method as Dispatcher.HttpMethod,
      headers: req.headers,
      body: req.body,
      dispatcher: req.dispatcher,
      signal: signals.length === 0 ? undefined : AbortSignal.any(signals),
    });
    const text = await response.body.text();
    return {
      status: response.statusCode,
      text,
      header: (name) => {
        const value = response.headers[name];
        return Array.isArray(value) ? value[0] : value;
      },
    };
  } catch (error) {
    if (req.signal?.aborted === true) {
      throw new CancelledError(`${req.method} ${new URL(req.url).pathname} was cancelled`, error);
    }
    throw error;
  }
}
