import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Agent } from 'undici';
import { call } from './api-test-client.js';
import { generateCertificates, type CertificateFiles } from './certificates.js';
import { startSandbox, type Sandbox } from './sandbox.js';

describe('mutual TLS', () => {
  let dir: string;
  let files: CertificateFiles;
  let sandbox: Sandbox;
  const agents: Agent[] = [];
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'hc-sandbox-mtls-'));
    files = await generateCertificates(dir);
    sandbox = await startSandbox({ providers: 10, tls: { certDir: dir, requireClientCert: true } });
  });
  afterAll(async () => {
    await Promise.all(agents.map((a) => a.close()));
    await sandbox.close();
    await rm(dir, { recursive: true, force: true });
  });
  const agent = async (withClientCert: boolean): Promise<Agent> => {
    const ca = await readFile(files.caCert);
    const a = new Agent({
      connect: withClientCert
        ? { ca, cert: await readFile(files.clientCert), key: await readFile(files.clientKey) }
        : { ca },
    });
    agents.push(a);
    return a;
  };

  it('serves a request over a connection with a valid client certificate, without Authorization', async () => {
    expect(sandbox.url).toMatch(/^https:\/\/127\.0\.0\.1:/);
    const response = await call(`${sandbox.baseUrl}/providers/PRV0000000001`, {
      dispatcher: await agent(true),
    });
    expect(response.status).toBe(200);
    expect(response.body).toMatchObject({ id: 'PRV0000000001' });
    const schedule = await call(
      `${sandbox.baseUrl}/providers/PRV0000000001/schedule?start_date=2026-12-01&end_date=2026-12-02`,
      {
        dispatcher: await agent(true),
      },
    );
    expect(schedule.status).toBe(200);
  });

  it('fails the handshake without a client certificate', async () => {
    await expect(
      call(`${sandbox.baseUrl}/providers`, { dispatcher: await agent(false) }),
    ).rejects.toThrow();
  });

  it('fails the handshake with a certificate from another CA', async () => {
    const otherDir = await mkdtemp(join(tmpdir(), 'hc-sandbox-other-'));
    try {
      const other = await generateCertificates(otherDir);
      const a = new Agent({
        connect: {
          ca: await readFile(files.caCert),
          cert: await readFile(other.clientCert),
          key: await readFile(other.clientKey),
        },
      });
      agents.push(a);
      await expect(call(`${sandbox.baseUrl}/providers`, { dispatcher: a })).rejects.toThrow();
    } finally {
      await rm(otherDir, { recursive: true, force: true });
    }
  });
});
