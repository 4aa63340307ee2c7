import { describe, expect, it } from 'vitest';
import { TokenReviewer } from './token-review.js';

/**
 * A stand-in TokenReview API: tokens starting with `good` belong to their name, others are
 * refused; while `down`, requests fail. Answers wait for release(), so tests can hold
 * reviews on their way.
 */
function apiServer() {
  const api = {
    posts: [] as string[],
    down: false,
    held: [] as (() => void)[],
    release() {
      for (const go of api.held.splice(0)) go();
    },
    async request<T>(_method: string, _path: string, body?: unknown): Promise<T> {
      const token = (body as { spec: { token: string } }).spec.token;
      api.posts.push(token);
      await new Promise<void>((resolve) => api.held.push(resolve));
      if (api.down) throw new Error('connect ECONNREFUSED');
      const status = token.startsWith('good')
        ? { authenticated: true, user: { username: token } }
        : { authenticated: false, error: 'invalid bearer token' };
      return { status } as T;
    },
  };
  return api;
}

/** Settles the reviews on their way once they have all asked. */
async function answered<T>(api: ReturnType<typeof apiServer>, reviews: Promise<T>[]) {
  await new Promise((r) => setImmediate(r));
  api.release();
  return Promise.all(reviews);
}

describe('TokenReviewer', () => {
  it('makes one review of a token that many requests bring at once, the same verdict for all', async () => {
    const api = apiServer();
    const reviewer = new TokenReviewer(api);
    const verdicts = await answered(
      api,
      Array.from({ length: 8 }, () => reviewer.review('good-jane', '10.0.0.1')),
    );
    expect(api.posts).toEqual(['good-jane']);
    expect(new Set(verdicts).size).toBe(1);
    expect(verdicts[0]).toMatchObject({ ok: true, user: { username: 'good-jane' } });
    expect(await reviewer.review('good-jane')).toBe(verdicts[0]); // and then from the cache
    expect(api.posts).toHaveLength(1);
  });

  it('shares a failed review as a refusal, never as a success, and asks again later', async () => {
    let now = 1_000_000;
    const api = apiServer();
    const reviewer = new TokenReviewer(api, { now: () => now });
    api.down = true;
    const verdicts = await answered(
      api,
      Array.from({ length: 5 }, () => reviewer.review('good-jane')),
    );
    expect(api.posts).toHaveLength(1);
    for (const v of verdicts)
      expect(v).toEqual({ ok: false, error: 'TokenReview failed: connect ECONNREFUSED' });
    api.down = false;
    expect((await reviewer.review('good-jane')).ok).toBe(false); // held 5 s, not asked again
    expect(api.posts).toHaveLength(1);
    now += 5_001;
    const again = await answered(api, [reviewer.review('good-jane')]);
    expect(api.posts).toHaveLength(2);
    expect(again[0]?.ok).toBe(true);
  });

  it('charges a client for the reviews it starts, before they are answered', async () => {
    let now = 0;
    const api = apiServer();
    const reviewer = new TokenReviewer(api, { now: () => now });
    const flood = Array.from({ length: 20 }, (_, i) => reviewer.review(`made-up-${i}`, 'attacker'));
    const verdicts = await answered(api, flood);
    expect(api.posts).toHaveLength(10);
    expect(verdicts.filter((v) => !v.ok && 'retryAfterMs' in v)).toHaveLength(10);
    expect(verdicts[10]).toEqual({
      ok: false,
      error:
        '10 bearer tokens refused from this address within 60 s: new tokens are not reviewed for 60 s',
      retryAfterMs: 60_000,
    });
    // Joining a review another client started costs nothing; a good token is refunded.
    const mine = [reviewer.review('good-bob', 'b'), reviewer.review('good-bob', 'attacker')];
    expect((await answered(api, mine)).map((v) => v.ok)).toEqual([true, false]);
    for (let i = 0; i < 10; i++) await answered(api, [reviewer.review(`good-${i}`, 'b')]);
    expect((await answered(api, [reviewer.review('nope', 'b')]))[0]).toMatchObject({
      error: 'token not authenticated: invalid bearer token',
    });
    now = 60_000;
    expect((await answered(api, [reviewer.review('made-up-x', 'attacker')]))[0]).toMatchObject({
      error: 'token not authenticated: invalid bearer token',
    });
  });
});
