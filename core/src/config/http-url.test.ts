import { describe, expect, it } from '@jest/globals';
import { httpUrl } from './http-url.js';

describe('httpUrl', () => {
  it.each(['http://127.0.0.1:4010/provider/v2', 'https://api.example.com', 'http://[::1]:8080/'])(
    'accepts %s',
    (url) => {
      expect(httpUrl().parse(url)).toBe(url);
    },
  );

  it.each([
    'ftp://files.example.com/x',
    'file:///etc/hosts',
    'file:x',
    'mailto:a@example.com',
    'api.example.com',
    '',
  ])('refuses %s', (url) => {
    const result = httpUrl().safeParse(url);
    expect(result.success).toBe(false);
    expect(result.error?.issues[0]?.message).toBe('must be an http:// or https:// URL');
  });
});
