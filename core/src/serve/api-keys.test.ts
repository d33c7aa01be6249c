import { describe, expect, it } from '@jest/globals';
import { ManualClock } from '../testing/manual-clock.js';
import { ApiKeys, hashApiKey, newApiKey } from './api-keys.js';
import { RateLimiter } from './rate-limiter.js';

describe('ApiKeys', () => {
  const reader = newApiKey();
  const booker = newApiKey();
  const keys = new ApiKeys([
    { id: 'reader', hash: hashApiKey(reader), scopes: ['read'] },
    { id: 'booker', hash: hashApiKey(booker), scopes: ['read', 'book'] },
  ]);

  it('makes random 256-bit keys and keeps only their SHA-256', () => {
    expect(reader).toMatch(/^pmsb_[A-Za-z0-9_-]{43}$/);
    expect(reader).not.toBe(booker);
    expect(hashApiKey('abc')).toBe(
      'sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad',
    );
  });

  it('finds the client of a key given as a bearer token or an X-API-Key header', () => {
    expect(keys.authenticate({ authorization: `Bearer ${booker}` })).toEqual({
      id: 'booker',
      scopes: new Set(['read', 'book']),
    });
    expect(keys.authenticate({ 'x-api-key': reader })?.id).toBe('reader');
  });

  it('finds no client for a missing, forged, truncated or oversized key', () => {
    expect(keys.authenticate({})).toBeUndefined();
    expect(keys.authenticate({ authorization: `Bearer ${reader}x` })).toBeUndefined();
    expect(keys.authenticate({ authorization: `Bearer ${reader.slice(0, -1)}` })).toBeUndefined();
    expect(keys.authenticate({ authorization: `Basic ${reader}` })).toBeUndefined();
    expect(keys.authenticate({ 'x-api-key': 'x'.repeat(10_000) })).toBeUndefined();
  });
});

describe('RateLimiter', () => {
  it('allows a minute’s worth at once, then one request per share of a minute', () => {
    const clock = new ManualClock('2026-03-02T10:00:00.000Z');
    const limiter = new RateLimiter(3, clock);
    expect([limiter.take('a'), limiter.take('a'), limiter.take('a')]).toEqual([
      undefined,
      undefined,
      undefined,
    ]);
    expect(limiter.take('a')).toBe(20);
    expect(limiter.take('b')).toBeUndefined();
    clock.advance(19_000);
    expect(limiter.take('a')).toBe(1);
    clock.advance(1_000);
    expect(limiter.take('a')).toBeUndefined();
  });
});
