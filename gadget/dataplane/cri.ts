// The container runtime's own word on where each pod's sandbox is, over the CRI
// (the gRPC API the kubelet speaks to containerd or CRI-O): the ready sandboxes and
// their pod UIDs (ListPodSandbox), and each one's process or network namespace
// (PodSandboxStatus, verbose). Needed where the kubelet makes no pod cgroups
// (cgroupsPerQOS: false, as on the test bed's real node), so pod-cgroup.ts finds none.
import * as grpc from '@grpc/grpc-js';
import { fromJSON } from '@grpc/proto-loader';

/** A ready pod sandbox: its pod's UID and a path to its network namespace. */
export interface RuntimeSandbox {
  uid: string;
  path: string;
}

/**
 * The part of k8s.io/cri-api's runtime/v1 api.proto read here, as protobufjs JSON,
 * field numbers as upstream (proto3 skips the fields it does not know). Cast: the
 * descriptor types want a comment on every method and know no map fields.
 */
const CRI_SUBSET = {
  nested: {
    runtime: {
      nested: {
        v1: {
          nested: {
            RuntimeService: {
              methods: {
                ListPodSandbox: {
                  requestType: 'ListPodSandboxRequest',
                  responseType: 'ListPodSandboxResponse',
                },
                PodSandboxStatus: {
                  requestType: 'PodSandboxStatusRequest',
                  responseType: 'PodSandboxStatusResponse',
                },
              },
            },
            PodSandboxState: { values: { SANDBOX_READY: 0, SANDBOX_NOTREADY: 1 } },
            PodSandboxStateValue: { fields: { state: { type: 'PodSandboxState', id: 1 } } },
            PodSandboxFilter: { fields: { state: { type: 'PodSandboxStateValue', id: 2 } } },
            ListPodSandboxRequest: { fields: { filter: { type: 'PodSandboxFilter', id: 1 } } },
            PodSandboxMetadata: {
              fields: {
                name: { type: 'string', id: 1 },
                uid: { type: 'string', id: 2 },
                namespace: { type: 'string', id: 3 },
              },
            },
            PodSandbox: {
              fields: {
                id: { type: 'string', id: 1 },
                metadata: { type: 'PodSandboxMetadata', id: 2 },
              },
            },
            ListPodSandboxResponse: {
              fields: { items: { rule: 'repeated', type: 'PodSandbox', id: 1 } },
            },
            PodSandboxStatusRequest: {
              fields: { podSandboxId: { type: 'string', id: 1 }, verbose: { type: 'bool', id: 2 } },
            },
            PodSandboxStatusResponse: {
              fields: { info: { keyType: 'string', type: 'string', id: 2 } },
            },
          },
        },
      },
    },
  },
} as unknown as Parameters<typeof fromJSON>[0];

interface ListResponse {
  items?: { id?: string; metadata?: { uid?: string } }[];
}
interface StatusResponse {
  info?: Record<string, string>;
}
type Call<Req, Res> = (
  req: Req,
  opts: grpc.CallOptions,
  cb: (err: grpc.ServiceError | null, res?: Res) => void,
) => void;
interface RuntimeClient extends grpc.Client {
  ListPodSandbox: Call<unknown, ListResponse>;
  PodSandboxStatus: Call<{ podSandboxId: string; verbose: boolean }, StatusResponse>;
}

const CALL_TIMEOUT_MS = 5000;

/**
 * The sandbox's network namespace, from the verbose info the runtime adds (JSON under
 * "info"): its process (containerd and CRI-O give the pid; the agent has hostPID), else
 * the namespace path of its runtime spec.
 */
export function sandboxNetnsPath(info: Record<string, string> | undefined): string | undefined {
  let parsed: {
    pid?: unknown;
    runtimeSpec?: { linux?: { namespaces?: { type?: string; path?: string }[] } };
  };
  try {
    parsed = JSON.parse(info?.info ?? '');
  } catch {
    return undefined;
  }
  if (Number.isInteger(parsed.pid) && (parsed.pid as number) > 0)
    return `/proc/${parsed.pid}/ns/net`;
  const ns = parsed.runtimeSpec?.linux?.namespaces?.find((n) => n.type === 'network');
  return ns?.path || undefined;
}

/** Lists the ready sandboxes of the runtime at `endpoint` (unix:///path/to.sock or a path). */
export class CriSandboxes {
  private readonly client: RuntimeClient;
  /** A sandbox's namespace path never changes: asked once per sandbox id. */
  private readonly paths = new Map<string, string | undefined>();

  constructor(readonly endpoint: string) {
    const target = endpoint.startsWith('/') ? `unix://${endpoint}` : endpoint;
    const pkg = grpc.loadPackageDefinition(fromJSON(CRI_SUBSET, { defaults: true }));
    const v1 = (pkg.runtime as grpc.GrpcObject).v1 as grpc.GrpcObject;
    const Service = v1.RuntimeService as grpc.ServiceClientConstructor;
    this.client = new Service(
      target,
      grpc.credentials.createInsecure(),
    ) as unknown as RuntimeClient;
  }

  async list(): Promise<RuntimeSandbox[]> {
    const res = await this.call<unknown, ListResponse>(this.client.ListPodSandbox, {
      filter: { state: { state: 'SANDBOX_READY' } },
    });
    const items = (res.items ?? []).filter((i) => i.id && i.metadata?.uid);
    const live = new Set(items.map((i) => i.id));
    for (const id of this.paths.keys()) if (!live.has(id)) this.paths.delete(id);
    const out: RuntimeSandbox[] = [];
    for (const item of items) {
      const id = item.id as string;
      if (!this.paths.has(id)) {
        const status = await this.call(this.client.PodSandboxStatus, {
          podSandboxId: id,
          verbose: true,
        });
        this.paths.set(id, sandboxNetnsPath(status.info));
      }
      const path = this.paths.get(id);
      if (path) out.push({ uid: item.metadata?.uid as string, path });
    }
    return out;
  }

  close(): void {
    this.client.close();
  }

  private call<Req, Res>(method: Call<Req, Res>, req: Req): Promise<Res> {
    return new Promise((resolve, reject) => {
      method.call(
        this.client,
        req,
        { deadline: Date.now() + CALL_TIMEOUT_MS },
        (err: grpc.ServiceError | null, res?: Res) =>
          err || !res
            ? reject(
                new Error(`CRI ${this.endpoint}: ${err?.details ?? err?.message ?? 'no answer'}`),
              )
            : resolve(res),
      );
    });
  }
}
