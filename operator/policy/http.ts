// The last generated NetworkPolicies of a trace on the operator's HTTPS port:
// GET /api/v1/networkpolicies/<namespace>/<trace> -> the same YAML as the Trace's
// status.output or ConfigMap, for `curl ... | kubectl apply -f -` after review. With
// peer replicas, the one that generated it (the Trace's leader) may be another: asked.
import { parseApiPath } from '../../api/graph.js';
import { LOCAL_SCOPE, LOCAL_SCOPE_PARAM } from '../../api/ring.js';
import type { HttpServer } from '../../lib/http-server.js';
import { badParameter, sendJSON } from '../../lib/http-server.js';
import type { PeerClient } from '../ring/peer-client.js';
import type { PolicyAdvisor } from './advisor.js';

export const POLICY_API_PREFIX = '/api/v1/networkpolicies/';

export function registerPolicyApi(
  http: HttpServer,
  advisor: Pick<PolicyAdvisor, 'advice'>,
  peers?: Pick<PeerClient, 'hasPeers' | 'ask'>,
): void {
  http.route(POLICY_API_PREFIX, async (_req, res, url) => {
    const at = parseApiPath(url.pathname);
    if (at?.kind !== 'networkpolicies') {
      sendJSON(res, 404, { error: `use ${POLICY_API_PREFIX}<namespace>/<trace>` });
      return;
    }
    const { trace } = at;
    const scope = url.searchParams.get(LOCAL_SCOPE_PARAM);
    if (scope !== null && scope !== LOCAL_SCOPE) {
      badParameter(res, LOCAL_SCOPE_PARAM, `must be ${LOCAL_SCOPE} or absent, not "${scope}"`);
      return;
    }
    let yaml = advisor.advice(trace);
    let missing: string[] = [];
    if (yaml === undefined && scope === null && peers?.hasPeers()) {
      const asked = await peers.ask(url.pathname, undefined, (text) => text);
      yaml = asked.answers.find((a) => a.status === 200)?.body;
      missing = asked.missing;
    }
    if (yaml === undefined) {
      const partial = missing.length > 0 ? ` (replicas ${missing.join(', ')} did not answer)` : '';
      sendJSON(res, 404, {
        error: `no NetworkPolicies generated for trace ${trace}${partial}: annotate it with gadget.kinvolk.io/operation=generate`,
      });
      return;
    }
    res.writeHead(200, { 'content-type': 'application/yaml; charset=utf-8' });
    res.end(yaml);
  });
}
