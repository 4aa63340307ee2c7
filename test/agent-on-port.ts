// A node agent with no pods (its data plane refuses every call), its HTTPS API on a free
// port of 127.0.0.1 for the tests in a describe block: for tests of who may command it
// and of hostile clients, where no pod is ever traced.
import { afterAll, beforeAll } from 'vitest';
import { Agent, type DataPlane } from '../gadget/agent/agent.js';
import { type AgentServerOptions, agentServer } from '../gadget/agent/server.js';
import { listen } from '../lib/http-server.js';
import { logger } from '../lib/log.js';
import { selfSignedIdentity } from '../lib/tls.js';

const noPods = (): never => {
  throw new Error('no pods in this test');
};
const dataPlane: DataPlane = { findPodNetns: noPods, openTracers: noPods, openConnections: noPods };

/** Call in a describe block (or at a file's top): listens before its tests, closes after. */
export function agentOnPort(opts: Pick<AgentServerOptions, 'authenticate' | 'log'>) {
  const identity = selfSignedIdentity(['127.0.0.1']);
  const agent = new Agent('n1', dataPlane, logger('test', 'silent'), 60_000);
  const server = agentServer({ agent, tls: identity, ...opts });
  const at = { identity, agent, port: 0 };
  beforeAll(async () => {
    at.port = (await listen(server, { host: '127.0.0.1', port: 0 })).port;
  });
  afterAll(() => {
    server.closeAllConnections();
    server.close();
    agent.close();
  });
  return at;
}
