import { describe, expect, it } from 'vitest';
import { KubeError } from './kube.js';
import { logger } from './log.js';

describe('logger', () => {
  it('logs { err } with its type, message, stack, own fields and cause', () => {
    const lines: string[] = [];
    const log = logger('test', 'info', { write: (s: string) => lines.push(s) });
    const cause = new KubeError(422, 'Invalid', 'PATCH /status: spec.x: Invalid value');
    log.warn({ err: new Error('status refused', { cause }) }, 'reconcile failed');
    log.warn({ err: Object.assign(new Error('connect refused'), { code: 'ECONNREFUSED' }) }, 'x');
    const [refused, connect] = lines.map((l) => JSON.parse(l));
    expect(refused.err).toMatchObject({
      type: 'Error',
      message: expect.stringContaining('status refused'),
      cause: { type: 'KubeError', status: 422, reason: 'Invalid' },
    });
    expect(refused.err.stack).toContain('log.test.ts');
    expect(connect.err.code).toBe('ECONNREFUSED');
  });
});
