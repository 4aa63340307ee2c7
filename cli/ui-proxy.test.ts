import { describe, expect, it } from 'vitest';
import { loopbackHost } from './ui-proxy.js';

describe("the ui proxy's Host check", () => {
  it('serves requests addressed to it by a loopback name and its port only', () => {
    for (const h of ['127.0.0.1:8001', 'localhost:8001', '[::1]:8001'])
      expect(loopbackHost(h, 8001)).toBe(true);
    // DNS rebinding: a page of evil.example resolved to 127.0.0.1 sends its own name.
    for (const h of ['evil.example:8001', '127.0.0.1:8002', '127.0.0.1', undefined, ''])
      expect(loopbackHost(h, 8001)).toBe(false);
  });
});
