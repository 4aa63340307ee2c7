// What the chart makes beyond its workloads, as `helm template` renders it (hooks
// included): the Roles, ClusterRoles and bindings follow rbac.create, the uninstall hook's
// too (a user who sets it false grants them), and the ValidatingAdmissionPolicies follow
// admissionPolicies.create; values.schema.json takes only booleans for either.
// test/e2e/rbac.test.ts and admission-policies.test.ts apply them to a real API server.
import { beforeAll, describe, expect, it } from 'vitest';
import { type Doc, helmBinary, NS, one, render } from './chart-render.js';

const RBAC_KINDS = ['ClusterRole', 'ClusterRoleBinding', 'Role', 'RoleBinding'];
const POLICY_KINDS = ['ValidatingAdmissionPolicy', 'ValidatingAdmissionPolicyBinding'];

/** 'Kind/name' of every object, sorted. */
const names = (docs: Doc[]): string[] =>
  docs.map((d) => `${d.kind}/${d.metadata.name}`).sort((a, b) => a.localeCompare(b));
const ofKinds = (docs: Doc[], kinds: string[]) => docs.filter((d) => kinds.includes(d.kind));
const notOfKinds = (docs: Doc[], kinds: string[]) => docs.filter((d) => !kinds.includes(d.kind));

let defaults: Doc[];
beforeAll(async () => {
  await helmBinary();
  defaults = await render();
}, 1_200_000);

describe('rbac.create', () => {
  it("makes every Role, ClusterRole and binding by default, the uninstall hook's too", () => {
    expect(names(ofKinds(defaults, RBAC_KINDS))).toEqual([
      'ClusterRole/netgraph-gadget',
      'ClusterRole/netgraph-operator',
      'ClusterRole/netgraph-uninstall',
      'ClusterRoleBinding/netgraph-gadget',
      'ClusterRoleBinding/netgraph-operator',
      'ClusterRoleBinding/netgraph-uninstall',
      'Role/netgraph-gadget',
      'Role/netgraph-operator',
      'Role/netgraph-uninstall',
      'RoleBinding/netgraph-gadget',
      'RoleBinding/netgraph-operator',
      'RoleBinding/netgraph-operator-auth-reader',
      'RoleBinding/netgraph-uninstall',
    ]);
    // The hook's are made for the Job, after the release's are gone.
    for (const kind of RBAC_KINDS)
      expect(one(defaults, kind, 'netgraph-uninstall').metadata.annotations).toMatchObject({
        'helm.sh/hook': 'post-delete',
      });
  });

  it('makes none with rbac.create=false, hooks included; the ServiceAccounts and Job stay', async () => {
    const docs = await render('rbac.create=false');
    expect(ofKinds(docs, RBAC_KINDS)).toEqual([]);
    // Everything else is still made.
    expect(names(docs)).toEqual(names(notOfKinds(defaults, RBAC_KINDS)));
    expect(names(ofKinds(docs, ['ServiceAccount', 'Job']))).toEqual([
      'Job/netgraph-uninstall',
      'ServiceAccount/netgraph-gadget',
      'ServiceAccount/netgraph-operator',
      'ServiceAccount/netgraph-uninstall',
    ]);
    const job = one(docs, 'Job', 'netgraph-uninstall');
    expect(job.metadata.annotations).toMatchObject({ 'helm.sh/hook': 'post-delete' });
    expect(job.spec.template.spec.serviceAccountName).toBe('netgraph-uninstall');
  });

  it("grants the uninstall hook what the chart's README tells rbac.create=false users to", () => {
    expect(one(defaults, 'ClusterRole', 'netgraph-uninstall').rules).toEqual([
      { apiGroups: ['gadget.kinvolk.io'], resources: ['traces'], verbs: ['list', 'patch'] },
    ]);
    const role = one(defaults, 'Role', 'netgraph-uninstall');
    expect(role.metadata.namespace).toBe(NS);
    expect(role.rules).toEqual([
      { apiGroups: [''], resources: ['pods'], verbs: ['list'] },
      {
        apiGroups: [''],
        resources: ['configmaps'],
        resourceNames: ['netgraph-operator-cert'],
        verbs: ['delete'],
      },
      { apiGroups: ['coordination.k8s.io'], resources: ['leases'], verbs: ['list', 'delete'] },
    ]);
    for (const kind of ['ClusterRoleBinding', 'RoleBinding'])
      expect(one(defaults, kind, 'netgraph-uninstall').subjects).toEqual([
        { kind: 'ServiceAccount', name: 'netgraph-uninstall', namespace: NS },
      ]);
  });
});

describe('admissionPolicies.create', () => {
  it('makes both policies by default, each bound, whatever rbac.create says', async () => {
    const expected = [
      'ValidatingAdmissionPolicy/netgraph-agent-leases',
      'ValidatingAdmissionPolicy/netgraph-operator-configmaps',
      'ValidatingAdmissionPolicyBinding/netgraph-agent-leases',
      'ValidatingAdmissionPolicyBinding/netgraph-operator-configmaps',
    ];
    expect(names(ofKinds(defaults, POLICY_KINDS))).toEqual(expected);
    for (const name of ['netgraph-agent-leases', 'netgraph-operator-configmaps'])
      expect(one(defaults, 'ValidatingAdmissionPolicyBinding', name).spec).toEqual({
        policyName: name,
        validationActions: ['Deny'],
      });
    expect(names(ofKinds(await render('rbac.create=false'), POLICY_KINDS))).toEqual(expected);
  });

  it('makes neither policy nor binding with false, and everything else still', async () => {
    const docs = await render('admissionPolicies.create=false');
    expect(ofKinds(docs, POLICY_KINDS)).toEqual([]);
    expect(names(docs)).toEqual(names(notOfKinds(defaults, POLICY_KINDS)));
  });
});

describe("values.schema.json's booleans", () => {
  it.each([
    ['rbac.create=yes', 'string'],
    ['rbac.create=1', 'integer'],
    ['admissionPolicies.create=no', 'string'],
    ['admissionPolicies.create=0', 'integer'],
    ['admissionPolicies.create={false}', 'array'],
  ])('refuses %s, naming the value', async (set, given) => {
    const key = set.split('=')[0]?.replace('.', '\\.');
    await expect(render(set)).rejects.toThrow(
      new RegExp(`- ${key}: Invalid type. Expected: boolean, given: ${given}`),
    );
  });

  it('refuses a key admissionPolicies does not know (enabled for create, say)', async () => {
    await expect(render('admissionPolicies.enabled=false')).rejects.toThrow(
      /- admissionPolicies: Additional property enabled is not allowed/,
    );
  });
});
