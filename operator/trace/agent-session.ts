// The operator's link to one node's agent for one trace: start it, follow its
// edge stream (resuming after a reconnect by api/agent.ts's resume rule, so no
// edge the agent holds is lost), and stop it.

import type http from 'node:http';
import https from 'node:https';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  AGENT_REPLICA_HEADER,
  type AgentTraceStatus,
  agentEdgesPath,
  agentTracePath,
  resumeAfter,
  STREAM_IDLE_MS,
  type StartCommand,
  type StreamCursor,
  type TraceRef,
} from '../../api/agent.js';
import { AGENT_MAX_LINE_BYTES, parseAgentFrame } from '../../api/agent-frame.js';
import type { Edge } from '../../api/edge.js';
import { Backoff } from '../../lib/backoff.js';
import { boundedLines } from '../../lib/bounded-lines.js';
import { errorText } from '../../lib/result.js';
import { shareTurn } from '../../lib/time-slices.js';

/** Where an agent listens, and the certificate it serves there. */
export interface AgentAddress {
  endpoint: string;
  cert: string;
}

export interface SessionEvents {
  /**
   * `epoch` is the agent's: a new one means it restarted and counts from zero again.
   * `first`: the sequence number the edge first came with in that epoch.
   */
  onEdge(node: string, edge: Edge, epoch: string, first?: number): void;
  onStatus(node: string, status: AgentTraceStatus): void;
  /** The link failed (agent unreachable, refused); it is retried. */
  onError(node: string, reason: string): void;
}

/** What a TraceRun needs of its link to one node's agent (tests pass their own). */
export interface Session {
  start(): Promise<void>;
  moveTo(agent: AgentAddress): void;
  /** Where its stream was read up to. */
  cursor(): StreamCursor;
  stop(): Promise<void>;
  close(): void;
}

/** Makes the link to one node's agent for one trace. */
export type SessionFactory = (
  node: string,
  agent: AgentAddress,
  trace: TraceRef,
  command: StartCommand,
  events: SessionEvents,
) => Session;

/** Real sessions over HTTPS, showing agents the operator's token and the replica's id. */
export const agentSessions =
  (token: () => Promise<string>, replica = ''): SessionFactory =>
  (node, agent, trace, command, events) =>
    new AgentSession(node, agent, trace, command, token, events, replica);

export class AgentSession implements Session {
  private readonly abort = new AbortController();
  /** The agent epoch last seen and the last edge got in it: where a reconnect resumes. */
  private position: StreamCursor = { epoch: '', after: 0 };
  private streaming?: Promise<void>;
  private readonly path: string;
  /** Reconnects: reset once a stream is open again. */
  private readonly backoff = new Backoff({ initialMs: 100, maxMs: 5000 });

  constructor(
    readonly node: string,
    private agent: AgentAddress,
    private readonly trace: TraceRef,
    private readonly command: StartCommand,
    private readonly token: () => Promise<string>,
    private readonly events: SessionEvents,
    private readonly replica = '',
  ) {
    this.path = agentTracePath(trace);
  }

  /** Starts the trace on the agent, then follows its edges in the background. */
  async start(): Promise<void> {
    await this.call('PUT', this.path, this.command);
    this.streaming ??= this.follow();
  }

  cursor(): StreamCursor {
    return { ...this.position };
  }

  /** The agent moved (restarted with a new address or certificate): follow it there. */
  moveTo(agent: AgentAddress): void {
    this.agent = agent;
  }

  /** Stops the trace on the agent; its last edges arrive before this resolves. */
  async stop(graceMs = 3000): Promise<void> {
    try {
      await this.call('DELETE', this.path);
      // The agent ends the stream after its final drain.
      if (this.streaming) await Promise.race([this.streaming, sleep(graceMs)]);
    } finally {
      this.abort.abort();
    }
  }

  /** Drops the link without stopping the agent's trace (operator shutting down). */
  close(): void {
    this.abort.abort();
  }

  private async follow(): Promise<void> {
    while (!this.abort.signal.aborted) {
      try {
        const ended = await this.stream();
        if (ended === 'done') return;
        if (ended === 'gone') {
          // The agent restarted and lost the trace: start it there again (paced, in case it keeps losing it).
          await sleep(this.backoff.next(), undefined, { signal: this.abort.signal });
          await this.call('PUT', this.path, this.command);
        }
      } catch (err) {
        if (this.abort.signal.aborted) return;
        this.events.onError(this.node, errorText(err));
        await sleep(this.backoff.next(), undefined, { signal: this.abort.signal }).catch(() => {});
      }
    }
  }

  /** One streaming request: 'done' when the agent ended the trace, 'gone' when it does not know it. */
  private async stream(): Promise<'done' | 'gone'> {
    const res = await this.request('GET', agentEdgesPath(this.trace, this.position));
    if (res.statusCode === 404) {
      res.resume();
      return 'gone';
    }
    if (res.statusCode !== 200) {
      res.resume();
      throw new Error(`agent answered ${res.statusCode} to the edge stream`);
    }
    this.backoff.reset();
    for await (const line of boundedLines(res, AGENT_MAX_LINE_BYTES)) {
      if (!line) continue;
      // Every node's stream may bring a burst at once: they share the event loop's turns.
      await shareTurn();
      const parsed = parseAgentFrame(line);
      if (!parsed.ok) throw new Error(`agent on ${this.node}: ${parsed.error}`);
      const { frame } = parsed;
      if ('hello' in frame) {
        // A new epoch means the agent restarted: its sequence numbers start over.
        this.position = {
          epoch: frame.hello.epoch,
          after: resumeAfter(frame.hello.epoch, this.position),
        };
      } else if ('edge' in frame) {
        this.position.after = frame.seq;
        this.events.onEdge(this.node, frame.edge, this.position.epoch, frame.first);
      } else if ('status' in frame) {
        this.events.onStatus(this.node, frame.status);
      } else if ('end' in frame) {
        res.resume();
        return 'done';
      }
    }
    if (res.errored) throw res.errored;
    throw new Error(`agent on ${this.node} ended the edge stream early`);
  }

  private async call(method: string, path: string, body?: unknown): Promise<void> {
    const res = await this.request(method, path, body);
    const chunks: Buffer[] = [];
    for await (const c of res) chunks.push(c as Buffer);
    if (res.statusCode === 404 && method === 'DELETE') return;
    if ((res.statusCode ?? 0) >= 300) {
      const text = Buffer.concat(chunks).toString('utf8').trim();
      throw new Error(`agent on ${this.node} answered ${res.statusCode} to ${method}: ${text}`);
    }
  }

  private async request(
    method: string,
    path: string,
    body?: unknown,
  ): Promise<http.IncomingMessage> {
    const token = await this.token();
    const payload = body === undefined ? undefined : JSON.stringify(body);
    return new Promise((resolve, reject) => {
      const req = https.request(
        new URL(path, this.agent.endpoint),
        {
          method,
          // Only the certificate the agent published in its Lease is trusted.
          ca: this.agent.cert,
          signal: this.abort.signal,
          headers: {
            authorization: `Bearer ${token}`,
            ...(this.replica && { [AGENT_REPLICA_HEADER]: this.replica }),
            ...(payload && { 'content-type': 'application/json' }),
          },
        },
        resolve,
      );
      req.on('error', reject);
      // An idle socket means a dead agent: the stream carries a ping every few seconds.
      req.setTimeout(method === 'GET' ? STREAM_IDLE_MS : 10_000, () =>
        req.destroy(new Error(`agent on ${this.node} timed out`)),
      );
      req.end(payload);
    });
  }
}
