import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { Agent } from 'undici';
import { ConfigError } from '../errors/errors.js';

/** PEM file paths of a TLS client identity. */
export interface MtlsFiles {
  cert: string;
  key: string;
  ca?: string;
  passphrase?: string;
}

/** Connection-level settings of the undici `Agent` behind a client. */
export interface DispatcherOptions {
  connectTimeoutMs: number;
  headersTimeoutMs: number;
  bodyTimeoutMs: number;
  /** Connections per origin; match the client's concurrency. */
  connections: number;
  /** Client certificate, key and CA contents for mutual TLS. */
  tls?: { cert: Buffer; key: Buffer; ca?: Buffer; passphrase?: string };
}

/** Reads the mutual-TLS files once at start-up, resolving relative paths against `baseDir`. */
export function loadMtlsFiles(
  files: MtlsFiles,
  baseDir: string,
): NonNullable<DispatcherOptions['tls']> {
  const read = (what: string, path: string): Buffer => {
    try {
      return readFileSync(resolve(baseDir, path));
    } catch (error) {
      throw new ConfigError(`mtls.${what}: cannot read "${path}": ${(error as Error).message}`, {
        cause: error,
      });
    }
  };
  return {
    cert: read('cert', files.cert),
    key: read('key', files.key),
    ca: files.ca === undefined ? undefined : read('ca', files.ca),
    passphrase: files.passphrase,
  };
}

/** An undici `Agent` with the client's timeouts and, for mutual TLS, its client certificate. */
export function createDispatcher(options: DispatcherOptions): Agent {
  return new Agent({
    connections: options.connections,
    headersTimeout: options.headersTimeoutMs,
    bodyTimeout: options.bodyTimeoutMs,
    connect: {
      timeout: options.connectTimeoutMs,
      ...(options.tls === undefined
        ? {}
        : {
            cert: options.tls.cert,
            key: options.tls.key,
            ca: options.tls.ca,
            passphrase: options.tls.passphrase,
          }),
    },
  });
}
