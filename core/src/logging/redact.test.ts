import { describe, expect, it } from '@jest/globals';
import { Writable } from 'node:stream';
import { createLogger } from './logger.js';
import { redact } from './redact.js';

function captureLogger() {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(chunk.toString());
      done();
    },
  });
  return { logger: createLogger({ level: 'debug', format: 'json', stream }), lines };
}

const secrets = {
  clientSecret: 'cs-very-secret-1234',
  token: 'eyJhbGciOiJIUzI1NiJ9.tokenpart.sig',
  webhookSecret: 'whsec_c2VjcmV0c2VjcmV0',
  privateKey: '-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBg\n-----END PRIVATE KEY-----',
};

describe('logger redaction', () => {
  it('never writes client secrets, tokens, Authorization headers, private keys or webhook secrets', async () => {
    const { logger, lines } = captureLogger();
    logger.info('token request', { client_id: 'abc', client_secret: secrets.clientSecret });
    logger.debug('request', { headers: { Authorization: `Bearer ${secrets.token}` } });
    logger.warn(`failed with body access_token=${secrets.token}&x=1`);
    logger.error('subscription', {
      secret: secrets.webhookSecret,
      tls: { key: secrets.privateKey },
    });
    logger
      .child({ accessToken: secrets.token })
      .info(`delivery signed with ${secrets.webhookSecret}`);
    logger.info('pem in text', { note: `loaded ${secrets.privateKey}` });
    await new Promise((resolve) => setImmediate(resolve));

    const output = lines.join('');
    expect(lines).toHaveLength(6);
    for (const secret of Object.values(secrets)) expect(output).not.toContain(secret);
    expect(output).not.toContain('MIIEvQIBADANBg');
    expect(output).toContain('"client_id":"abc"');
    expect(output).toContain('[REDACTED]');
  });

  it('keeps non-secret fields intact and survives cycles', () => {
    const value: Record<string, unknown> = { providerId: 'PRV0000000001', count: 3 };
    value.self = value;
    expect(redact(value)).toEqual({ providerId: 'PRV0000000001', count: 3, self: '[Circular]' });
  });

  it('redacts secret-looking field names, URL credentials and bare JWTs', () => {
    const out = JSON.stringify(
      redact({
        bearerToken: 'tok-1',
        'x-api-key': 'key-2',
        dbPassword: 'pw-3',
        signingSecret: 'sec-4',
        tokenUrl: 'https://auth.example/token',
        note: 'connect postgres://pms:hunter2@db.local/pms with eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2lnbmF0dXJl',
      }),
    );
    for (const secret of ['tok-1', 'key-2', 'pw-3', 'sec-4', 'hunter2', 'eyJhbGciOiJIUzI1NiJ9']) {
      expect(out).not.toContain(secret);
    }
    expect(out).toContain('https://auth.example/token');
    expect(out).toContain('postgres://pms:[REDACTED]@db.local/pms');
  });
});
