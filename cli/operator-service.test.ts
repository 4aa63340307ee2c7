import { describe, expect, it } from 'vitest';
import {
  certConfigMap,
  chooseService,
  operatorPort,
  type Pod,
  podPort,
  readyPod,
  type Service,
} from './operator-service.js';

const svc = (
  namespace: string,
  spec: Service['spec'],
  labels: Record<string, string> = { 'app.kubernetes.io/part-of': 'netgraph' },
): Service => ({ metadata: { name: 'netgraph-operator', namespace, labels }, spec });
const pod = (name: string, ready: boolean, extra: Partial<Pod['metadata']> = {}): Pod => ({
  metadata: { name, ...extra },
  spec: { containers: [{ ports: [{ name: 'http', containerPort: 9090 }] }] },
  status: {
    phase: 'Running',
    conditions: [{ type: 'Ready', status: ready ? 'True' : 'False' }],
  },
});

describe("finding the operator's pod and port", () => {
  it("wants exactly one of netgraph's operator Services", () => {
    const a = svc('netgraph', {});
    expect(chooseService([a])).toBe(a);
    // Another project's operator; a chart from before part-of, named netgraph.
    const theirs = svc('cert-manager', {}, { 'app.kubernetes.io/name': 'cert-manager' });
    const older = svc('old', {}, { 'app.kubernetes.io/name': 'netgraph' });
    expect(chooseService([theirs, a])).toBe(a);
    expect(chooseService([theirs, older])).toBe(older);
    expect(() => chooseService([theirs])).toThrow(/no netgraph operator Service/);
    expect(() => chooseService([])).toThrow(/no netgraph operator Service .* in any namespace/);
    expect(() => chooseService([], 'team')).toThrow(/in namespace team/);
    expect(() => chooseService([a, svc('other', {})])).toThrow(
      'several netgraph operators: netgraph/netgraph-operator, other/netgraph-operator; choose with --operator-namespace',
    );
  });

  it("takes the https port, else http, and follows a named target port into the pod's", () => {
    const both = svc('n', {
      ports: [
        { name: 'http', port: 80, targetPort: 'http' },
        { name: 'https', port: 443, targetPort: 9443 },
      ],
    });
    expect(operatorPort(both).port).toBe(443);
    const named = svc('n', { ports: [{ name: 'http', port: 9090, targetPort: 'http' }] });
    expect(podPort(operatorPort(named), pod('p', true))).toBe(9090);
    expect(podPort({ port: 80, targetPort: '8080' }, pod('p', true))).toBe(8080);
    expect(podPort({ port: 80 }, pod('p', true))).toBe(80);
    expect(() => podPort({ port: 80, targetPort: 'metrics' }, pod('p', true))).toThrow(
      'pod p has no container port named metrics',
    );
    expect(() => operatorPort(svc('n', { ports: [] }))).toThrow(/no port named https or http/);
  });

  it('picks a Ready pod, never one going away', () => {
    const s = svc('netgraph', {});
    expect(
      readyPod(s, [pod('b', true), pod('a', false), pod('c', true, { deletionTimestamp: 'x' })])
        .metadata.name,
    ).toBe('b');
    expect(() => readyPod(s, [pod('a', false)])).toThrow(
      'no Ready pod behind Service netgraph/netgraph-operator (of 1)',
    );
  });

  it('reads the certificate from <service>-cert', () => {
    expect(certConfigMap(svc('netgraph', {}))).toBe('netgraph-operator-cert');
  });
});
