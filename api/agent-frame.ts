// The operator reads an agent's stream as untrusted input: each line is checked against
// the frame shapes of api/agent.ts before any field is used, so a broken or hostile agent
// can end its own stream but not feed the operator malformed edges (or a line without
// end: AGENT_MAX_LINE_BYTES bounds it).
import { Ajv } from 'ajv';
import type { Result } from '../lib/result.js';
import type { AgentFrame } from './agent.js';
import { COUNTER_FIELDS } from './edge.js';

/** The longest stream line the operator reads: an edge is well under 8 KiB. */
export const AGENT_MAX_LINE_BYTES = 256 * 1024;

const str = { type: 'string', maxLength: 4096 };
const labels = { type: 'object', additionalProperties: { type: 'string', maxLength: 4096 } };
const count = { type: 'number', minimum: 0 };
const edge = {
  type: 'object',
  required: ['type'],
  properties: {
    type: { enum: ['normal', 'err', 'warn', 'debug'] },
    node: str,
    namespace: str,
    pod: str,
    container: str,
    message: str,
    pktType: { enum: ['HOST', 'OUTGOING'] },
    proto: { enum: ['tcp', 'udp'] },
    ip: str,
    port: { type: 'integer', minimum: 0, maximum: 65535 },
    podLabels: labels,
    podIP: str,
    podHostIP: str,
    remoteName: str,
    remoteCanonicalName: str,
    firstSeen: str,
    lastSeen: str,
    pid: { type: 'integer', minimum: 0 },
    comm: str,
    ...Object.fromEntries(COUNTER_FIELDS.map((f) => [f, count])),
  },
};
const schema = {
  oneOf: [
    {
      type: 'object',
      required: ['hello'],
      properties: {
        hello: {
          type: 'object',
          required: ['node', 'epoch'],
          properties: { node: str, epoch: str },
        },
      },
    },
    {
      type: 'object',
      required: ['seq', 'edge'],
      properties: {
        seq: { type: 'integer', minimum: 0 },
        first: { type: 'integer', minimum: 0 },
        edge,
      },
    },
    {
      type: 'object',
      required: ['status'],
      properties: {
        status: {
          type: 'object',
          required: ['pods'],
          properties: { pods: { type: 'integer', minimum: 0 }, error: str, warning: str },
        },
      },
    },
    { type: 'object', required: ['ping'], properties: { ping: { type: 'number' } } },
    { type: 'object', required: ['end'], properties: { end: { const: true } } },
  ],
};

const valid = new Ajv({ allErrors: false, strict: false }).compile<AgentFrame>(schema);

export function parseAgentFrame(line: string): Result<{ frame: AgentFrame }> {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    return { ok: false, error: 'a stream line is not JSON' };
  }
  if (!valid(value)) {
    const e = valid.errors?.[0];
    return {
      ok: false,
      error: `a stream line is not a frame (${e?.instancePath || '/'} ${e?.message})`,
    };
  }
  return { ok: true, frame: value };
}
