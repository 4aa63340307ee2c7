import { describe, expect, it } from 'vitest';
import {
  AGENT_LEASE_SECONDS,
  agentEdgesPath,
  agentFromLease,
  agentLease,
  agentTracePath,
  isAlive,
  parseAgentPath,
  resumeAfter,
} from './agent.js';

describe('the operator-agent contract', () => {
  it('resumes after the cursor in the same epoch, from 0 in any other', () => {
    expect(resumeAfter('e2', { epoch: 'e2', after: 41 })).toBe(41);
    expect(resumeAfter('e2', { epoch: 'e1', after: 41 })).toBe(0); // the agent restarted
    expect(resumeAfter('e2', { epoch: '', after: 0 })).toBe(0); // a new operator
  });

  it('parses the paths it builds, names with any characters included', () => {
    const trace = { namespace: 'gadget', name: 'a b/c?d' };
    const cursor = { epoch: 'f00d-1', after: 17 };
    expect(parseAgentPath(new URL(agentTracePath(trace), 'https://agent'))).toEqual({
      trace,
      edges: false,
    });
    expect(parseAgentPath(new URL(agentEdgesPath(trace, cursor), 'https://agent'))).toEqual({
      trace,
      edges: true,
      cursor,
    });
    expect(parseAgentPath(new URL('/v1/nodes', 'https://agent'))).toBeUndefined();
    expect(parseAgentPath(new URL('/v1/traces/a/b/edges?after=x', 'https://agent'))).toMatchObject({
      cursor: { epoch: '', after: 0 },
    });
  });

  it('reads back the Lease an agent writes, alive until it expires', () => {
    const renewed = new Date('2026-01-01T00:00:00Z');
    const lease = agentLease(
      'netgraph',
      { node: 'n1', endpoint: 'https://10.0.0.1:9478', cert: 'PEM' },
      renewed,
    );
    expect(lease.metadata?.name).toBe('netgraph-agent-n1');
    expect(lease.spec?.renewTime).toBe('2026-01-01T00:00:00.000000Z'); // MicroTime
    const agent = agentFromLease(lease);
    expect(agent).toEqual({
      node: 'n1',
      endpoint: 'https://10.0.0.1:9478',
      cert: 'PEM',
      expires: renewed.getTime() + AGENT_LEASE_SECONDS * 1000,
    });
    expect(isAlive(agent, renewed.getTime() + 1000)).toBe(true);
    expect(isAlive(agent, renewed.getTime() + AGENT_LEASE_SECONDS * 1000)).toBe(false);
    expect(
      agentFromLease({ ...lease, metadata: { ...lease.metadata, annotations: {} } }),
    ).toBeUndefined();
  });
});
