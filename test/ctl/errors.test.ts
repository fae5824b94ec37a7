import { CtlError, describeError } from '../../services/src/ctl/errors';
import { k8s } from '../../services/src/ctl/kube';

const where = { context: 'kind-pca-agent', server: 'https://127.0.0.1:6443', namespace: 'pca' };

describe('describeError', () => {
  it('turns RBAC 403 into one sentence with the API message and the namespace', () => {
    const body = { kind: 'Status', status: 'Failure', reason: 'Forbidden', code: 403, message: 'deployments.apps is forbidden: User "dev" cannot list resource "deployments" in API group "apps" in the namespace "pca"' };
    const text = describeError(new k8s.ApiException(403, 'Unknown API Status Code!', JSON.stringify(body), {}), where);
    expect(text).toBe(
      'Forbidden by RBAC (403) (context "kind-pca-agent"): deployments.apps is forbidden: User "dev" cannot list resource "deployments" in API group "apps" in the namespace "pca"; ask for a Role that allows it in namespace "pca".',
    );
    expect(text).not.toContain('\n');
  });

  it('explains expired credentials', () => {
    expect(describeError(new k8s.ApiException(401, 'Unauthorized', undefined, {}), where)).toMatch(/^The cluster rejected your credentials \(401 Unauthorized\)/);
  });

  it('names the server for network failures found in the error cause', () => {
    const err = new TypeError('fetch failed', { cause: Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:6443'), { code: 'ECONNREFUSED' }) });
    expect(describeError(err, where)).toBe(
      'Cannot reach the Kubernetes API at https://127.0.0.1:6443 (context "kind-pca-agent"): connection refused; is the cluster running (`kind get clusters`, `minikube status`)?',
    );
  });

  it('passes CtlError messages through and keeps unknown errors to their first line', () => {
    expect(describeError(new CtlError('Release "x" not found.'))).toBe('Release "x" not found.');
    expect(describeError(new Error('boom\n    at somewhere (file.js:1:1)'), where)).toBe('Unexpected error (context "kind-pca-agent"): boom');
  });
});
