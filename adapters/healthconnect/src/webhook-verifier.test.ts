import { createHmac, randomBytes } from 'node:crypto';
import { describe, expect, it } from '@jest/globals';
import { ManualTime } from '@pmsbridge/core/http';
import { WebhookVerificationError, verifyWebhook } from './webhook-verifier.js';

const key = randomBytes(32);
const secret = `whsec_${key.toString('base64')}`;
const body = JSON.stringify({
  id: 'evt_1',
  type: 'schedule.updated',
  created_at: '2026-12-01T12:00:00Z',
  data: { provider_id: 'PRV0000000001', start_date: '2026-12-01', end_date: '2026-12-07' },
});

function sign(withKey: Buffer, id: string, timestamp: string, payload: string): string {
  return `v1,${createHmac('sha256', withKey).update(`${id}.${timestamp}.${payload}`).digest('base64')}`;
}

describe('verifyWebhook', () => {
  const time = new ManualTime(Date.parse('2026-12-01T12:00:00Z'));
  const timestamp = String(time.now().getTime() / 1000);
  const headers = (signature: string, ts = timestamp): Record<string, string> => ({
    'webhook-id': 'msg_1',
    'webhook-timestamp': ts,
    'webhook-signature': signature,
  });

  it('returns the parsed event for a correctly signed delivery', () => {
    const event = verifyWebhook(headers(sign(key, 'msg_1', timestamp, body)), body, secret, {
      clock: time,
    });
    expect(event).toMatchObject({
      id: 'evt_1',
      type: 'schedule.updated',
      data: { provider_id: 'PRV0000000001' },
    });
  });

  it('accepts a delivery signed with either secret during rotation', () => {
    const old = randomBytes(32);
    const both = `${sign(old, 'msg_1', timestamp, body)} ${sign(key, 'msg_1', timestamp, body)}`;
    expect(
      verifyWebhook(new Headers(headers(both)), Buffer.from(body), secret, { clock: time }).id,
    ).toBe('evt_1');
  });

  it('accepts a signature by any of several secrets, and none by a secret not among them', () => {
    const other = randomBytes(32);
    const otherSecret = `whsec_${other.toString('base64')}`;
    const signature = sign(other, 'msg_1', timestamp, body);
    expect(verifyWebhook(headers(signature), body, [secret, otherSecret], { clock: time }).id).toBe(
      'evt_1',
    );
    expect(() => verifyWebhook(headers(signature), body, [secret], { clock: time })).toThrow(
      /no_matching_signature/,
    );
    expect(() => verifyWebhook(headers(signature), body, [], { clock: time })).toThrow(
      expect.objectContaining({ reason: 'invalid_secret' }),
    );
  });

  it('rejects a tampered body', () => {
    const signature = sign(key, 'msg_1', timestamp, body);
    const tampered = body.replace('PRV0000000001', 'PRV0000000002');
    expect(() => verifyWebhook(headers(signature), tampered, secret, { clock: time })).toThrow(
      expect.objectContaining({
        reason: 'no_matching_signature',
        code: 'PMS_HC_WEBHOOK_REJECTED',
        category: 'PMS_AUTH',
      }),
    );
  });

  it('rejects a signature made with another secret or another version', () => {
    const other = sign(randomBytes(32), 'msg_1', timestamp, body);
    expect(() => verifyWebhook(headers(other), body, secret, { clock: time })).toThrow(
      WebhookVerificationError,
    );
    const v2 = sign(key, 'msg_1', timestamp, body).replace('v1,', 'v2,');
    expect(() => verifyWebhook(headers(v2), body, secret, { clock: time })).toThrow(
      /no_matching_signature/,
    );
  });

  it('rejects a timestamp more than five minutes away, even when signed', () => {
    const stale = String(time.now().getTime() / 1000 - 301);
    expect(() =>
      verifyWebhook(headers(sign(key, 'msg_1', stale, body), stale), body, secret, { clock: time }),
    ).toThrow(expect.objectContaining({ reason: 'timestamp_out_of_tolerance' }));
    const recent = String(time.now().getTime() / 1000 - 299);
    expect(
      verifyWebhook(headers(sign(key, 'msg_1', recent, body), recent), body, secret, {
        clock: time,
      }).id,
    ).toBe('evt_1');
  });

  it('rejects missing headers and a signed body that is not an event', () => {
    expect(() => verifyWebhook({}, body, secret, { clock: time })).toThrow(
      expect.objectContaining({ reason: 'missing_headers' }),
    );
    const notEvent = '{"hello":"world"}';
    expect(() =>
      verifyWebhook(headers(sign(key, 'msg_1', timestamp, notEvent)), notEvent, secret, {
        clock: time,
      }),
    ).toThrow(expect.objectContaining({ reason: 'invalid_body' }));
  });
});
