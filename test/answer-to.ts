// A refusal as a client reads it, for the tests of the ports' guards: the status, the
// Retry-After header and the error of the JSON body.
import type { ClientRequest, IncomingMessage } from 'node:http';

export interface Answer {
  status: number;
  retryAfter?: string;
  error?: string;
}

/** Sends the request `send` makes (given its response callback) and reads the answer. */
export function answerTo(
  send: (onResponse: (res: IncomingMessage) => void) => ClientRequest,
): Promise<Answer> {
  return new Promise((resolve, reject) => {
    send((res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => {
        body += c;
      });
      res.on('end', () =>
        resolve({
          status: res.statusCode ?? 0,
          retryAfter: res.headers['retry-after'],
          error: (JSON.parse(body) as { error?: string }).error,
        }),
      );
    })
      .on('error', reject)
      .end();
  });
}
