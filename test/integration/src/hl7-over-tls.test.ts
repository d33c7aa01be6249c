/**
 * The HL7 v2 sink over MLLP with TLS, against the test peer listening with a certificate
 * from a throwaway CA (made with `openssl`) and requiring a client certificate: the sink's
 * `tls` options name PEM files relative to the config file, as an operator writes them.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { readFile } from 'node:fs/promises';
import {
  generateCertificates,
  startSandbox,
  type CertificateFiles,
  type Sandbox,
} from '@pmsbridge/healthconnect-sandbox';
import { startHl7Peer, type Hl7Peer } from '@pmsbridge/test-hl7-peer';
import { createWorkspace, runSync, sandboxSource, type Workspace } from './pipeline-harness.js';

const PROVIDERS = 6;

describe('sandbox → HL7 v2 sink → peer over MLLP with TLS', () => {
  let sandbox: Sandbox;
  let peer: Hl7Peer;
  let workspace: Workspace;
  let certificates: CertificateFiles;

  function pipeline(tls: string): string {
    return `pipeline: it-hl7-tls
state: { path: state.sqlite }
${sandboxSource(sandbox)}
sinks:
  - use: '@pmsbridge/adapter-hl7v2'
    name: pms
    options:
      host: localhost
      port: ${peer.port}
      receivingApplication: PMS
      connectAttempts: 1
      retryDelayMs: 10
${tls}
sync: { horizonDays: 2, batchSize: 10, concurrency: 4 }
`;
  }

  beforeAll(async () => {
    sandbox = await startSandbox({ providers: PROVIDERS, seed: 3 });
    workspace = await createWorkspace();
    certificates = await generateCertificates(workspace.dir);
    peer = await startHl7Peer({
      tls: {
        cert: await readFile(certificates.serverCert),
        key: await readFile(certificates.serverKey),
        clientCa: await readFile(certificates.caCert),
      },
    });
  });

  afterAll(async () => {
    await peer?.close();
    await sandbox?.close();
    await workspace?.cleanup();
  });

  it('refuses a peer whose certificate it cannot verify, saying so, and sends nothing', async () => {
    await expect(runSync(workspace, sandbox, pipeline('      tls: {}'), 'full')).rejects.toThrow(
      /Could not connect to localhost:\d+ after 1 attempt\(s\): .*certificate/,
    );
    expect(peer.received()).toEqual([]);
  });

  it('is refused by a peer that requires a client certificate when it presents none', async () => {
    await expect(
      runSync(workspace, sandbox, pipeline('      tls: { ca: ca.crt }'), 'full'),
    ).rejects.toThrow(/closed the connection before acknowledging \(.*certificate required\)/);
    expect(peer.received()).toEqual([]);
  });

  it('delivers every message with the CA and a client certificate', async () => {
    const summary = await runSync(
      workspace,
      sandbox,
      pipeline('      tls: { ca: ca.crt, cert: client.crt, key: client.key }'),
      'full',
    );
    expect(summary).toMatchObject({ written: PROVIDERS, deadLettered: 0 });
    const accepted = peer.accepted();
    expect(accepted.filter((m) => m.type === 'MFN^M02')).toHaveLength(PROVIDERS);
    expect(accepted).toHaveLength(peer.received().length);
  });
});
