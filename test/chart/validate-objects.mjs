// Validates rendered Kubernetes objects offline, in a plain Node process because kubernetes-models,
// @kubernetes-models/keda and @kubernetes-models/gateway-api are ESM-only ("import" exports).
// Input: a JSON file of objects (argv[2]). Output (stdout): JSON [{ kind, name, errors: string[] }].
// Custom resources get their unknown-field walk from crd-fields.ts (client-node has no model for them).
import { readFileSync } from 'node:fs';
import * as k8s from '@kubernetes/client-node';

const objects = JSON.parse(readFileSync(process.argv[2], 'utf8'));

/** kubernetes-models module of an apiVersion: "v1" → core, "apps/v1" → group. */
const CRD_MODELS = { 'keda.sh': '@kubernetes-models/keda', 'gateway.networking.k8s.io': '@kubernetes-models/gateway-api' };
const crdModels = (apiVersion) => CRD_MODELS[apiVersion.split('/')[0]];

async function modelClass(apiVersion, kind) {
  const crd = crdModels(apiVersion);
  if (crd) return (await import(`${crd}/${apiVersion}/${kind}`))[kind];
  return (await import(`kubernetes-models/${apiVersion}`))[kind];
}

/** client-node model class name of a top-level kind, e.g. apps/v1 Deployment → V1Deployment. */
function clientNodeClass(apiVersion, kind) {
  const version = apiVersion.split('/').pop();
  const name = `${version[0].toUpperCase()}${version.slice(1)}${kind}`;
  return k8s[name];
}

/** Walks the object along client-node's attribute type maps; every key not in the model is reported. */
function unknownFields(value, typeName, path, out) {
  if (value === null || value === undefined) return;
  const arr = typeName.match(/^Array<(.+)>$/);
  if (arr) {
    if (!Array.isArray(value)) return out.push(`${path}: expected a list`);
    value.forEach((v, i) => unknownFields(v, arr[1], `${path}[${i}]`, out));
    return;
  }
  const map = typeName.match(/^\{ \[key: string\]: (.+); \}$/);
  if (map) {
    for (const [k, v] of Object.entries(value)) unknownFields(v, map[1], `${path}.${k}`, out);
    return;
  }
  const cls = k8s[typeName];
  if (!cls || typeof cls.getAttributeTypeMap !== 'function') return; // string, number, IntOrString, any, Date ...
  if (typeof value !== 'object' || Array.isArray(value)) return out.push(`${path}: expected an object (${typeName})`);
  const attrs = new Map(cls.getAttributeTypeMap().map((a) => [a.baseName, a.type]));
  for (const [k, v] of Object.entries(value)) {
    if (!attrs.has(k)) out.push(`${path}.${k}: unknown field (not in ${typeName})`);
    else unknownFields(v, attrs.get(k), `${path}.${k}`, out);
  }
}

const results = [];
for (const obj of objects) {
  const errors = [];
  const Model = await modelClass(obj.apiVersion, obj.kind).catch(() => undefined);
  if (!Model) errors.push(`no schema model for ${obj.apiVersion} ${obj.kind}`);
  else {
    try {
      new Model(obj).validate();
    } catch (err) {
      errors.push(`schema: ${err.message}`);
    }
  }
  if (!crdModels(obj.apiVersion)) {
    const cls = clientNodeClass(obj.apiVersion, obj.kind);
    if (!cls) errors.push(`no client-node model for ${obj.apiVersion} ${obj.kind}`);
    else unknownFields(obj, cls.name, obj.kind, errors);
  }
  results.push({ kind: obj.kind, name: obj.metadata?.name, errors });
}
process.stdout.write(JSON.stringify(results));
