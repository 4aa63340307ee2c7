import { describe, expect, it } from 'vitest';
import type { Replica } from '../../api/ring.js';
import { EMPTY_VIEW, isSettled, liveView } from './ring-view.js';

const replica = (id: string, expires: number, view = ''): Replica => ({
  id,
  endpoint: `https://${id}:9090`,
  view,
  expires,
});
const byId = (rs: Replica[]) => new Map(rs.map((r) => [r.id, r]));

describe('liveView', () => {
  it('holds the replicas whose Leases have not expired, sorted, named by their set', () => {
    const v = liveView([replica('b', 2000), replica('a', 2000), replica('c', 500)], 1000);
    expect(v.members).toEqual(['a', 'b']);
    expect(liveView([replica('a', 3000), replica('b', 3000)], 1000).id).toBe(v.id);
    expect(liveView([replica('a', 3000)], 1000).id).not.toBe(v.id);
  });

  it('is the empty view when no Lease holds', () => {
    expect(liveView([replica('a', 500)], 1000)).toEqual(EMPTY_VIEW);
  });
});

describe('isSettled', () => {
  it('only once every live member says it settled on the view', () => {
    const v = liveView([replica('a', 2000), replica('b', 2000)], 1000);
    expect(isSettled(v, byId([replica('a', 2000, v.id), replica('b', 2000, 'older')]))).toBe(false);
    expect(isSettled(v, byId([replica('a', 2000, v.id), replica('b', 2000, v.id)]))).toBe(true);
    // A replica whose Lease expired does not hold the others back: it is not a member.
    expect(
      isSettled(
        v,
        byId([replica('a', 2000, v.id), replica('b', 2000, v.id), replica('c', 1, 'x')]),
      ),
    ).toBe(true);
  });

  it('never for the empty view', () => {
    expect(isSettled(EMPTY_VIEW, new Map())).toBe(false);
  });
});
