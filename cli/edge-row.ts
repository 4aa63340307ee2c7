// observe's table: one line per edge, requester on the left, responder on the right
// (as the graph page draws them), like `hubble observe` prints flows.
import type { Edge } from '../api/edge.js';
import { bytes, row } from './table.js';

export const EDGE_HEADER = [
  'TIME (UTC)',
  'NODE',
  'SOURCE',
  'DESTINATION',
  'PORT',
  'CONNS',
  'SENT/RECEIVED',
  'PROCESS',
];
// A stream cannot size columns by their widest cell: these fit the usual names.
const WIDTHS = [12, 26, 38, 38, 8, 5, 15, 0];

export const edgeHeader = (): string => row(EDGE_HEADER, WIDTHS);

/** The traced pod: `namespace/pod/name`, the graph page's entity id. */
const local = (e: Edge) => `${e.namespace ?? ''}/pod/${e.pod ?? ''}`;

/** The peer: a Service or pod by name, else its node or DNS name with its address, else the address. */
export function remote(e: Edge): string {
  if (e.remoteKind === 'svc' && e.remoteServiceName)
    return `${e.remoteServiceNamespace ?? ''}/service/${e.remoteServiceName}`;
  if (e.remoteKind === 'pod' && e.remotePodName)
    return `${e.remotePodNamespace ?? ''}/pod/${e.remotePodName}`;
  const ip = e.ip ?? e.remoteOther ?? '?';
  return e.remoteName ? `${e.remoteName} (${ip})` : ip;
}

export function edgeRow(e: Edge): string {
  // OUTGOING: the pod opened the connection; HOST: it accepted it. Counters are the pod's.
  const outgoing = e.pktType !== 'HOST';
  const sent = (outgoing ? e.bytesSent : e.bytesReceived) ?? 0;
  const received = (outgoing ? e.bytesReceived : e.bytesSent) ?? 0;
  const time = e.firstSeen ? new Date(e.firstSeen).toISOString().slice(11, 23) : '-';
  return row(
    [
      time,
      e.node ?? '-',
      outgoing ? local(e) : remote(e),
      outgoing ? remote(e) : local(e),
      `${e.proto ?? '?'}/${e.port ?? '?'}`,
      String(e.connections ?? 0),
      `${bytes(sent)}/${bytes(received)}`,
      e.comm ? `${e.comm}${e.pid ? `[${e.pid}]` : ''}` : '',
    ],
    WIDTHS,
  );
}
