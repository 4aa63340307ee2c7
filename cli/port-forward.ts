// A port of the operator's pod on 127.0.0.1, through the API server, as `kubectl
// port-forward` does: each local connection is one WebSocket to the pod's portforward
// subresource (client-node's PortForward), carrying the kubeconfig's credentials. Unlike
// kubectl's, it outlives the pod: after a failed connection (the pod replaced by a
// rollout or an upgrade) the next one goes to the pod `target` names then.
import { createServer, type Socket } from 'node:net';
import { PassThrough, Writable } from 'node:stream';
import { type KubeConfig, PortForward } from '@kubernetes/client-node';
// Not in the package's index; needed to give PortForward streams of its own (below).
import { WebSocketHandler } from '@kubernetes/client-node/dist/web-socket-handler.js';

export interface Forward {
  /** The local port on 127.0.0.1. */
  port: number;
  /** What the kubelet last said went wrong (the pod's port refused, ...). */
  lastError(): string | undefined;
  close(): Promise<void>;
}

export interface Target {
  pod: string;
  port: number;
}

export async function forwardPort(
  config: KubeConfig,
  namespace: string,
  target: () => Promise<Target>,
  first: Target,
): Promise<Forward> {
  let current = Promise.resolve(first);
  let lastError: string | undefined;
  const failed = (why: string) => {
    lastError = why;
    current = target();
    // Said by the next connection, which awaits it.
    current.catch(() => {});
  };
  // client-node ends its handler's streams when the server half-closes one (protocol
  // v5); by default those are the process's own stdin and stdout.
  const inert = { stdin: new PassThrough(), stdout: new PassThrough(), stderr: new PassThrough() };
  const pf = new PortForward(config, true, new WebSocketHandler(config, undefined, inert));
  const sockets = new Set<Socket>();
  const server = createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => {});
    // The kubelet reports a failed connection inside the pod on the error stream. Its
    // first frame carries only the port number, which PortForward strips: empty.
    const errors = new Writable({
      write(chunk: Buffer, _enc, done) {
        if (chunk.length === 0) {
          done();
          return;
        }
        failed(chunk.toString('utf8').trim());
        socket.destroy();
        done();
      },
    });
    // What the pod sends, to the local socket. A connection that closes before the pod
    // said anything went nowhere (a pod going away can accept a forward and stay silent).
    let answered = false;
    const output = new Writable({
      write(chunk: Buffer, _enc, done) {
        if (chunk.length > 0) answered = true;
        socket.write(chunk);
        done();
      },
    });
    let forwardedTo = 'the pod';
    let ws: { close(): void } | undefined;
    // Also when the WebSocket never opened (a pod going away can leave it hanging).
    socket.on('close', () => {
      if (!answered) failed(`no answer from ${forwardedTo}`);
      ws?.close();
    });
    current
      .then(({ pod, port }) => {
        forwardedTo = `pod ${pod} port ${port}`;
        return pf.portForward(namespace, pod, [port], output, errors, socket);
      })
      .then(
        (opened) => {
          if (typeof opened === 'function') return;
          ws = opened;
          if (socket.destroyed) opened.close();
          else opened.on('close', () => socket.end());
        },
        (err: unknown) => {
          // client-node rejects with the WebSocket's error event, not an Error.
          const message = (err as { message?: unknown } | undefined)?.message;
          failed(typeof message === 'string' && message ? message : 'the forward failed');
          socket.destroy();
        },
      );
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const address = server.address();
  return {
    port: typeof address === 'object' && address ? address.port : 0,
    lastError: () => lastError,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}
