// The workload the metrics tests read: a Deployment's client pod (owned by its
// ReplicaSet, so its series name the Deployment) and a server pod behind a ClusterIP
// Service `server` (80 -> 8080) running a TCP echo.
import { addDeployment } from './owners.js';
import { addPod, kubectl, nodeTool, type PodInfo, type PodProcess, spawnInPod } from './testbed.js';

export interface ClientService {
  client: PodInfo;
  server: PodInfo;
  clusterIP: string;
  /** The server's echo: kill it when done. */
  echo: PodProcess;
}

/** `replicaSet`: the client Deployment's ReplicaSet name (`client-<hash>`); `pod`: its pod's suffix. */
export async function addClientService(
  ns: string,
  node: string,
  replicaSet: string,
  pod: string,
): Promise<ClientService> {
  await addDeployment(ns, 'client', replicaSet);
  const [client, server] = await Promise.all([
    addPod(`${ns}/${replicaSet}-${pod}`, {
      node,
      labels: { app: 'client' },
      owner: `ReplicaSet/${replicaSet}`,
    }),
    addPod(`${ns}/server`, { node, labels: { app: 'server' } }),
  ]);
  await kubectl(['create', 'service', 'clusterip', 'server', '-n', ns, '--tcp=80:8080']);
  const clusterIP = (
    await kubectl(['get', 'svc', '-n', ns, 'server', '-o', 'jsonpath={.spec.clusterIP}'])
  ).trim();
  const echo = spawnInPod(server, nodeTool('tcp-server', ['--port', '8080']));
  await echo.waitForLine(/listening/);
  return { client, server, clusterIP, echo };
}
