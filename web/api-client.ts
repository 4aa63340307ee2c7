// The page's reads of the operator's API (api/graph.ts): the trace list, a graph, an
// entity's series, and the live stream.
import {
  API_ROOT,
  type ApiError,
  type GraphAnswer,
  type GraphQueryText,
  type GraphUpdate,
  type SeriesAnswer,
  STREAM_EVENTS,
  type TraceList,
  traceApiPath,
} from '../api/graph.js';

/** The answer's JSON; a 4xx/5xx throws `<status>: <the API's error>` (or the text it sent). */
async function get<T>(path: string): Promise<T> {
  const res = await fetch(path);
  const text = await res.text();
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    body = undefined;
  }
  if (!res.ok)
    throw new Error(
      `${res.status}: ${(body as ApiError | undefined)?.error ?? (text.trim() || res.statusText)}`,
    );
  return body as T;
}

export const fetchTraces = () => get<TraceList>(`${API_ROOT}/traces`);

export const fetchGraph = (trace: string, q: GraphQueryText) =>
  get<GraphAnswer>(traceApiPath(trace, 'graph', q));

export const fetchSeries = (trace: string, q: GraphQueryText, entity: string) =>
  get<SeriesAnswer>(traceApiPath(trace, 'series', { ...q, entity }));

export interface StreamHandlers {
  graph(g: GraphAnswer): void;
  update(u: GraphUpdate): void;
  /** The operator refused the stream (429: too many) or it broke for good. */
  refused(): void;
}

/** Follows a trace's live stream; the returned function closes it. */
export function follow(trace: string, q: GraphQueryText, on: StreamHandlers): () => void {
  const es = new EventSource(traceApiPath(trace, 'stream', q));
  es.addEventListener(STREAM_EVENTS.graph, (ev) =>
    on.graph(JSON.parse((ev as MessageEvent).data) as GraphAnswer),
  );
  es.addEventListener(STREAM_EVENTS.update, (ev) =>
    on.update(JSON.parse((ev as MessageEvent).data) as GraphUpdate),
  );
  // An ended stream is retried by the browser itself; one refused is closed for good.
  es.addEventListener('error', () => {
    if (es.readyState === EventSource.CLOSED) on.refused();
  });
  return () => es.close();
}
