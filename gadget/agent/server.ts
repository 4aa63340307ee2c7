// The agent's HTTPS API, for the operator only. The paths, the frames and the
// resume rule are the contract in api/agent.ts:
//   PUT    agentTracePath       start a trace with a filter (StartCommand)
//   DELETE agentTracePath       stop it
//   GET    agentEdgesPath       its frames, newline-delimited JSON, ending with END_FRAME
//   GET    AGENT_HEALTH_PATH    liveness, no token needed
import type http from 'node:http';
import {
  AGENT_HEALTH_PATH,
  AGENT_PING_MS,
  AGENT_REPLICA_HEADER,
  type AgentFrame,
  parseAgentPath,
  type StartCommand,
  type StreamCursor,
} from '../../api/agent.js';
import { GADGET } from '../../api/trace.js';
import { validateSpec } from '../../api/validate.js';
import { HttpError, readBody, refuse, requestURL } from '../../lib/http-bounds.js';
import { boundedServer, type Server } from '../../lib/http-server.js';
import type { Logger } from '../../lib/log.js';
import { LogBudget } from '../../lib/log-budget.js';
import { isThrottled, retryAfterSeconds } from '../../lib/token-review.js';
import type { Agent } from './agent.js';
import type { Verdict } from './token-review.js';

// A filter as big as the largest Trace the apiserver stores (etcd takes 1.5 MiB) fits.
const MAX_BODY = 2 * 1024 * 1024;
// The operator holds one edge stream per trace and a few command connections; the
// cap keeps idle or hostile clients from taking the agent's file descriptors.
const MAX_CONNECTIONS = 1024;

export interface AgentServerOptions {
  agent: Agent;
  /** The server's certificate and key (PEM). */
  tls: { cert: string; key: string };
  /** `from`: the caller's address (a budget of refused tokens is kept per address). */
  authenticate(authorization: string | undefined, from: string): Promise<Verdict>;
  log: Logger;
  pingMs?: number;
}

export function agentServer(o: AgentServerOptions): Server {
  // Refusals are logged 10 a minute at most (after a burst of 10), with how many were not.
  const refusals = new LogBudget();
  return boundedServer({ maxConnections: MAX_CONNECTIONS, tls: o.tls }, (req, res) => {
    handle(o, refusals, req, res).catch((err) => {
      o.log.error({ err, url: req.url }, 'request failed');
      if (!res.headersSent) reply(res, 500, { error: 'internal error' });
      else res.end();
    });
  });
}

function reply(res: http.ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(`${JSON.stringify(body)}\n`);
}

async function readJSON(req: http.IncomingMessage): Promise<unknown> {
  const text = (await readBody(req, MAX_BODY)).toString('utf8');
  try {
    return JSON.parse(text || '{}');
  } catch {
    throw new HttpError(400, 'body is not JSON');
  }
}

async function handle(
  o: AgentServerOptions,
  refusals: LogBudget,
  req: http.IncomingMessage,
  res: http.ServerResponse,
): Promise<void> {
  const url = requestURL(req, 'http://agent');
  if (!url) return refuse(res, 400, 'malformed request target');
  if (url.pathname === AGENT_HEALTH_PATH)
    return reply(res, 200, { ok: true, traces: o.agent.traceKeys().length });

  const verdict = await o.authenticate(req.headers.authorization, req.socket.remoteAddress ?? '');
  if (!verdict.ok) {
    const turn = refusals.take();
    if (turn.write)
      o.log.warn(
        {
          method: req.method,
          path: url.pathname,
          from: req.socket.remoteAddress,
          reason: verdict.error,
          ...(turn.suppressed > 0 && { notLogged: turn.suppressed }),
        },
        'refused',
      );
    if (isThrottled(verdict)) {
      res.setHeader('retry-after', String(retryAfterSeconds(verdict)));
      return reply(res, 429, { error: verdict.error });
    }
    res.setHeader('www-authenticate', 'Bearer');
    return reply(res, 401, { error: 'unauthorized' });
  }

  let route: ReturnType<typeof parseAgentPath>;
  try {
    route = parseAgentPath(url);
  } catch {
    return reply(res, 400, { error: 'malformed path' }); // e.g. a bad %-escape
  }
  if (!route) return reply(res, 404, { error: 'no such path' });
  const traceKey = `${route.trace.namespace}/${route.trace.name}`;

  if (route.edges) {
    if (req.method !== 'GET') return reply(res, 405, { error: 'method not allowed' });
    return stream(o, traceKey, route.cursor, req, res);
  }
  if (req.method === 'PUT') {
    let body: StartCommand;
    try {
      body = (await readJSON(req)) as StartCommand;
    } catch (err) {
      return refuse(res, err instanceof HttpError ? err.status : 400, (err as Error).message);
    }
    if (typeof body !== 'object' || body === null || typeof (body.filter ?? {}) !== 'object') {
      return reply(res, 400, { error: 'body must be {"filter": {...}}' });
    }
    // The filter is matched against every pod later: a malformed one is refused here.
    const checked = validateSpec({
      gadget: GADGET,
      filter: body.filter,
      ...(body.attach !== undefined && { parameters: { attach: body.attach } }),
    });
    if (!checked.ok) return reply(res, 400, { error: checked.error });
    return reply(
      res,
      200,
      o.agent.startTrace(traceKey, body.filter ?? {}, checked.parameters.attach),
    );
  }
  if (req.method === 'DELETE') {
    const known = await o.agent.stopTrace(traceKey);
    return reply(
      res,
      known ? 200 : 404,
      known ? { stopped: traceKey } : { error: 'no such trace' },
    );
  }
  reply(res, 405, { error: 'method not allowed' });
}

function stream(
  o: AgentServerOptions,
  traceKey: string,
  cursor: StreamCursor,
  req: http.IncomingMessage,
  res: http.ServerResponse,
): void {
  let ping: NodeJS.Timeout | undefined;
  const send = (frame: AgentFrame) => {
    res.write(`${JSON.stringify(frame)}\n`);
    if ('end' in frame) {
      // The trace stopped: its last frames are out, end the response.
      clearInterval(ping);
      res.end();
    }
  };
  res.setHeader('content-type', 'application/x-ndjson');
  res.setHeader('cache-control', 'no-store');
  const unsubscribe = o.agent.subscribe(traceKey, cursor, send);
  if (!unsubscribe) {
    reply(res, 404, { error: 'no such trace' });
    return;
  }
  // Which operator replica follows the trace here, and from where: a handover shows.
  const replica = req.headers[AGENT_REPLICA_HEADER] ?? '';
  o.log.info({ trace: traceKey, replica, cursor }, 'stream opened');
  let n = 0;
  ping = setInterval(
    () => res.write(`${JSON.stringify({ ping: ++n })}\n`),
    o.pingMs ?? AGENT_PING_MS,
  );
  req.on('close', () => {
    clearInterval(ping);
    unsubscribe();
    o.log.info({ trace: traceKey, replica }, 'stream closed');
  });
}
