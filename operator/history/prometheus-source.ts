// A Prometheus's HTTP API as the operator reads it (--prometheus-url): range queries
// (/api/v1/query_range), over plain HTTP or HTTPS with a CA to verify and a bearer token,
// each bounded in time and size. A failure is thrown as an Error saying what went wrong;
// the graph API turns it into the answer's warning.
import { readFileSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';

export interface PrometheusOptions {
  /** Where Prometheus's API is (http or https; a path prefix, as behind a proxy, is kept). */
  url: string;
  /** PEM CA bundle to verify an https URL with (default: the system's). */
  caFile?: string;
  /** A bearer token, read from this file at every query (so a rotated token is used). */
  tokenFile?: string;
  /** How long a query may take (default 10 s). */
  timeoutMs?: number;
}

/** One series of a range query's matrix: its labels and [unix seconds, value] pairs. */
export interface MatrixSeries {
  metric: Record<string, string>;
  values: [number, string][];
}

/** Answers past this are refused rather than held (a runaway query must not sink the operator). */
const MAX_ANSWER_BYTES = 128 * 1024 * 1024;

export class PrometheusSource {
  private readonly base: URL;
  private readonly ca?: Buffer;

  constructor(private readonly o: PrometheusOptions) {
    this.base = new URL(o.url.endsWith('/') ? o.url : `${o.url}/`);
    if (o.caFile) this.ca = readFileSync(o.caFile);
  }

  /** The server, for messages (never the token). */
  get where(): string {
    return this.base.origin;
  }

  /** A range query from `startMs` to `endMs` every `stepMs`: its matrix. */
  async queryRange(
    query: string,
    startMs: number,
    endMs: number,
    stepMs: number,
  ): Promise<MatrixSeries[]> {
    const form = new URLSearchParams({
      query,
      start: String(startMs / 1000),
      end: String(endMs / 1000),
      step: `${stepMs / 1000}s`,
    }).toString();
    const headers: Record<string, string> = {
      'content-type': 'application/x-www-form-urlencoded',
      accept: 'application/json',
    };
    if (this.o.tokenFile)
      headers.authorization = `Bearer ${readFileSync(this.o.tokenFile, 'utf8').trim()}`;
    const { status, text } = await this.post(
      new URL('api/v1/query_range', this.base),
      form,
      headers,
    );
    let body: { status?: string; error?: string; data?: { result?: MatrixSeries[] } } | undefined;
    try {
      body = JSON.parse(text);
    } catch {
      body = undefined;
    }
    if (body?.status !== 'success')
      throw new Error(
        `Prometheus at ${this.where} answered ${status}: ${body?.error ?? (text.slice(0, 200).trim() || 'no body')}`,
      );
    return body.data?.result ?? [];
  }

  private post(
    url: URL,
    form: string,
    headers: Record<string, string>,
  ): Promise<{ status: number; text: string }> {
    const timeoutMs = this.o.timeoutMs ?? 10_000;
    const send = url.protocol === 'https:' ? https.request : http.request;
    return new Promise((resolve, reject) => {
      const req = send(url, { method: 'POST', headers, ...(this.ca && { ca: this.ca }) }, (res) => {
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (c: Buffer) => {
          size += c.length;
          if (size > MAX_ANSWER_BYTES) {
            req.destroy(
              new Error(`Prometheus at ${this.where}: answer over ${MAX_ANSWER_BYTES} bytes`),
            );
            return;
          }
          chunks.push(c);
        });
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }),
        );
        res.on('error', reject);
      });
      // Bounds the whole query, not only a quiet socket.
      const timer = setTimeout(
        () => req.destroy(new Error(`Prometheus at ${this.where}: no answer in ${timeoutMs} ms`)),
        timeoutMs,
      );
      req.on('close', () => clearTimeout(timer));
      req.on('error', (err) =>
        reject(
          err.message.startsWith('Prometheus at')
            ? err
            : new Error(`Prometheus at ${this.where}: ${err.message}`),
        ),
      );
      req.end(form);
    });
  }
}
