import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { ConfigError } from '@pmsbridge/core';
import { z } from 'zod';
import type { MllpTlsOptions } from './mllp/mllp-client.js';

/** TLS files, each a path to a PEM file (relative to the config file's directory). */
export const TlsOptionsSchema = z.strictObject({
  /** The peer's CA certificate(s); the system's trust store when left out. */
  ca: z.string().min(1).optional(),
  /** The client certificate, for a peer that asks for one. */
  cert: z.string().min(1).optional(),
  /** The client certificate's private key. */
  key: z.string().min(1).optional(),
  /** The name the peer's certificate must carry; default `host`. */
  servername: z.string().min(1).optional(),
  rejectUnauthorized: z.boolean().default(true),
});

/** Parsed TLS options: paths, not contents. */
export type TlsFileOptions = z.infer<typeof TlsOptionsSchema>;

/** Reads a PEM file named in the options; the error names the option, never the content. */
function readPem(path: string, option: string, baseDir: string, entry: string): Buffer {
  try {
    return readFileSync(resolve(baseDir, path));
  } catch (cause) {
    throw new ConfigError(`${entry}.options.tls.${option}: cannot read ${path}`, { cause });
  }
}

/**
 * The MLLP client's TLS options from a config entry's: each PEM file read (relative to
 * `baseDir`), or undefined for plain TCP. `entry` names the config entry in errors.
 */
export function loadTls(
  tls: TlsFileOptions | undefined,
  baseDir: string,
  entry: string,
): MllpTlsOptions | undefined {
  if (tls === undefined) return undefined;
  const pem = (option: 'ca' | 'cert' | 'key') => {
    const path = tls[option];
    return path === undefined ? {} : { [option]: readPem(path, option, baseDir, entry) };
  };
  return {
    ...pem('ca'),
    ...pem('cert'),
    ...pem('key'),
    ...(tls.servername === undefined ? {} : { servername: tls.servername }),
    rejectUnauthorized: tls.rejectUnauthorized,
  };
}
