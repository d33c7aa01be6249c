import { execFile } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** Paths of the files {@link generateCertificates} writes. */
export interface CertificateFiles {
  caCert: string;
  serverCert: string;
  serverKey: string;
  clientCert: string;
  clientKey: string;
}

/** File names inside a certificate directory (what `tls.certDir` must contain). */
export const CERTIFICATE_FILE_NAMES = {
  caCert: 'ca.crt',
  caKey: 'ca.key',
  serverCert: 'server.crt',
  serverKey: 'server.key',
  clientCert: 'client.crt',
  clientKey: 'client.key',
} as const;

/**
 * Writes a throwaway CA, a server certificate for 127.0.0.1/localhost (SAN) and a client
 * certificate into `dir`, using the `openssl` command. For tests and local mTLS only.
 */
export async function generateCertificates(
  dir: string,
  signal?: AbortSignal,
): Promise<CertificateFiles> {
  const f = (name: keyof typeof CERTIFICATE_FILE_NAMES): string =>
    join(dir, CERTIFICATE_FILE_NAMES[name]);
  const openssl = (args: string[]): Promise<unknown> => run('openssl', args, { signal });
  const ecKey = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  await openssl([
    'req',
    '-x509',
    ...ecKey,
    '-keyout',
    f('caKey'),
    '-out',
    f('caCert'),
    '-days',
    '30',
    '-subj',
    '/CN=pmsbridge sandbox test CA',
    '-addext',
    'basicConstraints=critical,CA:TRUE',
    '-addext',
    'keyUsage=critical,keyCertSign,cRLSign',
  ]);
  const issue = async (
    name: 'server' | 'client',
    subject: string,
    extensions: string,
  ): Promise<void> => {
    const csr = join(dir, `${name}.csr`);
    const ext = join(dir, `${name}.ext`);
    await writeFile(ext, extensions);
    await openssl(['req', ...ecKey, '-keyout', f(`${name}Key`), '-out', csr, '-subj', subject]);
    await openssl([
      'x509',
      '-req',
      '-in',
      csr,
      '-CA',
      f('caCert'),
      '-CAkey',
      f('caKey'),
      '-set_serial',
      String(Date.now()),
      '-days',
      '30',
      '-out',
      f(`${name}Cert`),
      '-extfile',
      ext,
    ]);
  };
  await issue(
    'server',
    '/CN=localhost',
    'basicConstraints=CA:FALSE\nkeyUsage=digitalSignature\nextendedKeyUsage=serverAuth\nsubjectAltName=IP:127.0.0.1,DNS:localhost\n',
  );
  await issue(
    'client',
    '/CN=sandbox-client',
    'basicConstraints=CA:FALSE\nkeyUsage=digitalSignature\nextendedKeyUsage=clientAuth\n',
  );
  return {
    caCert: f('caCert'),
    serverCert: f('serverCert'),
    serverKey: f('serverKey'),
    clientCert: f('clientCert'),
    clientKey: f('clientKey'),
  };
}
