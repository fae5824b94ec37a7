import { WORKER_NODE_FLAGS, WORKER_NODE_OPTIONS } from '../../services/src/config/node-flags';
import { find, render, type K8sObject } from './helm';

const container = (objects: K8sObject[], name: string) => (find(objects, 'Deployment', name) as any).spec.template.spec.containers[0];
const nodeOptions = (objects: K8sObject[], name = 'rel-pca-agent-worker') =>
  ((container(objects, name).env ?? []) as { name: string; value?: string }[]).filter((e) => e.name === 'NODE_OPTIONS').map((e) => e.value);
const mebibytes = (q: string) => {
  const m = /^(\d+)(Mi|Gi)$/.exec(q);
  if (!m) throw new Error(`unexpected quantity ${q}`);
  return Number(m[1]) * (m[2] === 'Gi' ? 1024 : 1);
};
const flagMb = (name: string) => Number(WORKER_NODE_FLAGS.find((f) => f.startsWith(`--${name}=`))!.split('=')[1]);

describe('worker.nodeOptions', () => {
  test('by default the worker runs with the heap flags npm start uses, the API with none', () => {
    const objects = render();
    expect(nodeOptions(objects)).toEqual([WORKER_NODE_OPTIONS]);
    expect(nodeOptions(objects, 'rel-pca-agent-api')).toEqual([]);
  });

  test('the default memory limit holds the capped heap (old space + 3 semi-spaces) with room for code and buffers', () => {
    const { limits, requests } = container(render(), 'rel-pca-agent-worker').resources;
    expect(mebibytes(limits.memory)).toBeGreaterThanOrEqual(flagMb('max-old-space-size') + 3 * flagMb('max-semi-space-size') + 256);
    expect(mebibytes(requests.memory)).toBeGreaterThanOrEqual(256);
  });

  test('a value of its own replaces the flags; empty leaves NODE_OPTIONS unset; worker.extraEnv comes after, so it wins', () => {
    expect(nodeOptions(render(['--set', 'worker.nodeOptions=--max-old-space-size=700']))).toEqual(['--max-old-space-size=700']);
    expect(nodeOptions(render(['--set', 'worker.nodeOptions=']))).toEqual([]);
    const withExtra = render(['--set', 'worker.extraEnv[0].name=NODE_OPTIONS', '--set', 'worker.extraEnv[0].value=--max-old-space-size=900']);
    expect(nodeOptions(withExtra)).toEqual([WORKER_NODE_OPTIONS, '--max-old-space-size=900']);
  });
});
