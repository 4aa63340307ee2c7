// The last generated NetworkPolicies of a trace on the operator's HTTP port:
// GET /api/v1/networkpolicies/<namespace>/<trace> -> the same YAML as the Trace's
// status.output or ConfigMap, for `curl ... | kubectl apply -f -` after review.
import type { HttpServer } from '../../lib/http-server.js';
import { sendJSON } from '../../lib/http-server.js';
import type { PolicyAdvisor } from './advisor.js';

export const POLICY_API_PREFIX = '/api/v1/networkpolicies/';

export function registerPolicyApi(http: HttpServer, advisor: Pick<PolicyAdvisor, 'advice'>): void {
  http.route(POLICY_API_PREFIX, (_req, res, url) => {
    const parts = url.pathname.slice(POLICY_API_PREFIX.length).split('/');
    if (parts.length !== 2 || !parts[0] || !parts[1]) {
      sendJSON(res, 404, { error: `use ${POLICY_API_PREFIX}<namespace>/<trace>` });
      return;
    }
    const yaml = advisor.advice(`${parts[0]}/${parts[1]}`);
    if (yaml === undefined) {
      sendJSON(res, 404, {
        error: `no NetworkPolicies generated for trace ${parts[0]}/${parts[1]}: annotate it with gadget.kinvolk.io/operation=generate`,
      });
      return;
    }
    res.writeHead(200, { 'content-type': 'application/yaml; charset=utf-8' });
    res.end(yaml);
  });
}
