// The operator <-> agent contract, every name both sides use (docs/architecture.md
// tells the story). Agents announce themselves with a Lease per node; the operator
// commands them over HTTPS, authenticated by a ServiceAccount token bound to
// AGENT_AUDIENCE, and reads their edges as newline-delimited JSON frames.
import type { Edge } from './edge.js';
import { type Lease, leaseExpiry, leaseObject } from './lease.js';
import type { AttachMode, TraceFilter } from './trace.js';

// --- Authentication

/** Token audience the agents accept (TokenReview checks it). */
export const AGENT_AUDIENCE = 'netgraph.dev/agent';

// --- The Lease: written by the agent (gadget/agent/lease.ts), read by the operator.

/** Where the agents' Leases live: the operator's namespace. */
export const agentLeasesPath = (namespace: string): string =>
  `/apis/coordination.k8s.io/v1/namespaces/${namespace}/leases`;
/** Lease name per node. */
export const agentLeaseName = (node: string): string => `netgraph-agent-${node}`;
/** Label on every agent Lease; the operator's watch selects on it. */
export const AGENT_LEASE_LABEL = 'netgraph.dev/agent';
/** Lease annotation holding the agent's base URL (https). */
export const AGENT_ENDPOINT_ANNOTATION = 'netgraph.dev/endpoint';
/** Lease annotation holding the agent's self-signed certificate (PEM): the one the operator trusts. */
export const AGENT_CERT_ANNOTATION = 'netgraph.dev/cert';
/** How long a Lease holds without renewal; the agent renews it every few seconds. */
export const AGENT_LEASE_SECONDS = 15;

export type { Lease } from './lease.js';

/** What an agent's Lease says: its node, where it listens and the certificate it serves. */
export interface AgentInfo {
  node: string;
  endpoint: string;
  /** The agent's certificate (PEM), the only one trusted for its endpoint. */
  cert: string;
  /** Until when the lease holds (ms since epoch). */
  expires: number;
}

/** The Lease an agent writes for itself, renewed at `renewed`. */
export function agentLease(
  namespace: string,
  agent: Omit<AgentInfo, 'expires'>,
  renewed: Date,
): Lease {
  return leaseObject(
    {
      name: agentLeaseName(agent.node),
      namespace,
      label: AGENT_LEASE_LABEL,
      annotations: {
        [AGENT_ENDPOINT_ANNOTATION]: agent.endpoint,
        [AGENT_CERT_ANNOTATION]: agent.cert,
      },
      holder: agent.node,
      seconds: AGENT_LEASE_SECONDS,
    },
    renewed,
  );
}

/** The agent a Lease announces, or undefined when it lacks a field. */
export function agentFromLease(lease: Lease): AgentInfo | undefined {
  const node = lease.spec?.holderIdentity;
  const endpoint = lease.metadata?.annotations?.[AGENT_ENDPOINT_ANNOTATION];
  const cert = lease.metadata?.annotations?.[AGENT_CERT_ANNOTATION];
  const expires = leaseExpiry(lease, AGENT_LEASE_SECONDS);
  if (!node || !endpoint || !cert || Number.isNaN(expires)) return undefined;
  return { node, endpoint, cert, expires };
}

/** The host (name or address, without brackets) of an agent's endpoint URL, '' when it is not one. */
export function endpointHost(endpoint: string): string {
  try {
    return new URL(endpoint).hostname.replace(/^\[(.*)\]$/, '$1');
  } catch {
    return '';
  }
}

/** The Lease still holds: its agent is alive. */
export const isAlive = (a: AgentInfo | undefined, now = Date.now()): a is AgentInfo =>
  a !== undefined && a.expires > now;

// --- HTTP paths: the agent's server routes them, the operator's sessions request them.

/** Liveness, no token needed. */
export const AGENT_HEALTH_PATH = '/healthz';
/** PUT starts (or updates) a trace on the node with a StartCommand body; DELETE stops it. */
export const agentTracePath = (trace: TraceRef): string =>
  `/v1/traces/${encodeURIComponent(trace.namespace)}/${encodeURIComponent(trace.name)}`;
/** GET: the trace's frames, newline-delimited JSON, resumed after the cursor. */
export const agentEdgesPath = (trace: TraceRef, cursor: StreamCursor): string =>
  `${agentTracePath(trace)}/edges?epoch=${encodeURIComponent(cursor.epoch)}&after=${cursor.after}`;

/** A Trace by namespace and name. */
export interface TraceRef {
  namespace: string;
  name: string;
}

/** The TraceRef of a traceKey (`namespace/name`, api/trace.ts). */
export function traceRef(key: string): TraceRef {
  const i = key.indexOf('/');
  return { namespace: key.slice(0, i), name: key.slice(i + 1) };
}

/** What a request path names: a trace, or its edge stream; undefined for any other path. */
export function parseAgentPath(
  url: URL,
):
  | { trace: TraceRef; edges: false }
  | { trace: TraceRef; edges: true; cursor: StreamCursor }
  | undefined {
  const m = /^\/v1\/traces\/([^/]+)\/([^/]+)(\/edges)?$/.exec(url.pathname);
  if (!m) return undefined;
  const trace = { namespace: decodeURIComponent(m[1] ?? ''), name: decodeURIComponent(m[2] ?? '') };
  if (!m[3]) return { trace, edges: false };
  const after = Number(url.searchParams.get('after') ?? 0);
  const epoch = url.searchParams.get('epoch') ?? '';
  return { trace, edges: true, cursor: { epoch, after: Number.isFinite(after) ? after : 0 } };
}

/** Body of PUT agentTracePath: the pods to attach to, and how (default: the agent's --attach). */
export interface StartCommand {
  filter: TraceFilter;
  attach?: AttachMode;
}

// --- The edge stream

/** One line of the edge stream (GET agentEdgesPath). */
export type AgentFrame =
  /** First line: the agent's epoch changes when it restarts, and sequence numbers with it. */
  | { hello: { node: string; epoch: string } }
  /**
   * An edge, new or with new counters (cumulative since the trace started on this node).
   * `first` is the sequence number it first came with: a replica taking the node over
   * knows by it which edges the previous one already saw.
   */
  | { seq: number; first?: number; edge: Edge }
  /** What the agent is doing for the trace. */
  | { status: AgentTraceStatus }
  /** Keeps the connection alive (every AGENT_PING_MS); the number only counts. */
  | { ping: number }
  /** Last line: the trace stopped on this node and its final edges are out; the response ends. */
  | typeof END_FRAME;

/** The frame that ends a stream. A stream that ends without it broke: resume it. */
export const END_FRAME = { end: true } as const;

export interface AgentTraceStatus {
  /** Network namespaces (pods) attached. */
  pods: number;
  /** Why an attach failed, if one did. */
  error?: string;
  /** What works, but not as asked (a pod traced with the socket filter instead of TCX). */
  warning?: string;
}

/**
 * Request header naming the operator replica that calls (its id in api/ring.ts): the
 * agent logs which replica follows each trace's stream. Informational; the token
 * is what authenticates.
 */
export const AGENT_REPLICA_HEADER = 'netgraph-replica';

/** How often the agent pings an idle stream. */
export const AGENT_PING_MS = 5000;
/** A stream silent this long is dead (six pings missed): reconnect. */
export const STREAM_IDLE_MS = 30_000;

// --- Resuming a stream

/** Where a stream resumes: the agent epoch the client last saw and the last sequence number it got. */
export interface StreamCursor {
  epoch: string;
  after: number;
}

/**
 * The resume rule: sequence numbers count within one agent epoch, so a cursor of this
 * epoch resumes after its number and any other (a restarted agent, a new client)
 * starts from 0, replaying everything the agent holds. The agent uses it to pick the
 * backlog; the operator uses it on `hello` to reset its cursor.
 */
export function resumeAfter(agentEpoch: string, cursor: StreamCursor): number {
  return cursor.epoch === agentEpoch ? cursor.after : 0;
}
