import { request, type Dispatcher } from 'undici';
import type { Sandbox } from './sandbox.js';

/** A response as tests look at it. */
export interface TestResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
  /** Parsed JSON body (undefined when the body is empty or not JSON). */
  body: unknown;
}

/** Sends one request and reads the whole answer. Test support; not exported by the package. */
export async function call(
  url: string,
  init: {
    method?: Dispatcher.HttpMethod;
    headers?: Record<string, string>;
    body?: string;
    dispatcher?: Dispatcher;
    signal?: AbortSignal;
  } = {},
): Promise<TestResponse> {
  const response = await request(url, {
    method: init.method ?? 'GET',
    headers: init.headers,
    body: init.body,
    dispatcher: init.dispatcher,
    signal: init.signal ?? AbortSignal.timeout(10_000),
  });
  const text = await response.body.text();
  let body: unknown;
  try {
    body = text ? JSON.parse(text) : undefined;
  } catch {
    body = undefined;
  }
  return { status: response.statusCode, headers: response.headers, text, body };
}

/** Gets an access token for the sandbox's first client with the given scopes. */
export async function tokenFor(
  sandbox: Pick<Sandbox, 'tokenUrl' | 'clientId' | 'clientSecret'>,
  scope = 'provider:read schedule:read webhooks:manage',
  options: { dispatcher?: Dispatcher; signal?: AbortSignal } = {},
): Promise<string> {
  const response = await call(sandbox.tokenUrl, {
    ...options,
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({
      grant_type: 'client_credentials',
      client_id: sandbox.clientId,
      client_secret: sandbox.clientSecret,
      scope,
    }).toString(),
  });
  const token = (response.body as { access_token?: string } | undefined)?.access_token;
  if (response.status !== 200 || !token)
    throw new Error(`token request failed: ${response.status} ${response.text}`);
  return token;
}

/** GETs `path` (relative to the sandbox origin) with a bearer token and returns the answer. */
export function getWith(sandbox: Sandbox, token: string, path: string): Promise<TestResponse> {
  return call(`${sandbox.url}${path}`, { headers: { authorization: `Bearer ${token}` } });
}
