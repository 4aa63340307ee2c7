// The operator <-> agent protocol. Agents announce themselves with a Lease per
// node; the operator commands them over HTTP, authenticated by a ServiceAccount
// token bound to AGENT_AUDIENCE, and reads their edges as newline-delimited JSON.
import type { Edge } from './edge.js';
import type { TraceFilter } from './trace.js';

/** Token audience the agents accept (TokenReview checks it). */
export const AGENT_AUDIENCE = 'netgraph.dev/agent';
/** Lease name per node, in the operator's namespace. */
export const agentLeaseName = (node: string): string => `netgraph-agent-${node}`;
export const AGENT_LEASE_LABEL = 'netgraph.dev/agent';
/** Lease annotation holding the agent's base URL (https). */
export const AGENT_ENDPOINT_ANNOTATION = 'netgraph.dev/endpoint';
/** Lease annotation holding the agent's self-signed certificate (PEM): the one the operator trusts. */
export const AGENT_CERT_ANNOTATION = 'netgraph.dev/cert';

/** PUT /v1/traces/{namespace}/{name}: start (or update) a trace on this node. */
export interface StartCommand {
  filter: TraceFilter;
}

/** One line of GET /v1/traces/{namespace}/{name}/edges?epoch=E&after=SEQ. */
export type AgentFrame =
  /** First line: the agent's epoch changes when it restarts, and sequence numbers with it. */
  | { hello: { node: string; epoch: string } }
  /** An edge, new or with new counters (cumulative since the trace started on this node). */
  | { seq: number; edge: Edge }
  /** What the agent is doing for the trace. */
  | { status: AgentTraceStatus }
  /** Keeps the connection alive. */
  | { ping: number };

export interface AgentTraceStatus {
  /** Network namespaces (pods) attached. */
  pods: number;
  /** Why an attach failed, if one did. */
  error?: string;
}

export const tracePath = (namespace: string, name: string): string =>
  `/v1/traces/${encodeURIComponent(namespace)}/${encodeURIComponent(name)}`;
