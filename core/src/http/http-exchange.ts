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
  // One controller per exchange, its timer and listener removed when it ends: a timeout
  // signal or a signal combined with the run's would stay alive (with its timer) long after.
  const controller = new AbortController();
  const timer =
    req.timeoutMs === undefined
      ? undefined
      : setTimeout(
          () => controller.abort(new DOMException('The operation timed out.', 'TimeoutError')),
          req.timeoutMs,
        );
  const forward = (): void => controller.abort(req.signal?.reason);
  if (req.signal?.aborted === true) forward();
  else req.signal?.addEventListener('abort', forward, { once: true });
  try {
    const response = await request(req.url, {
      method: req.method as Dispatcher.HttpMethod,
      headers: req.headers,
      body: req.body,
      dispatcher: req.dispatcher,
      signal: controller.signal,
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
  } finally {
    clearTimeout(timer);
    req.signal?.removeEventListener('abort', forward);
  }
}
