import { dirname, join } from 'node:path';
import ts from 'typescript';
import { ROOT } from './helm';

/** @kubernetes-models package generated from each CRD group's schema the chart renders objects of. */
const CRD_PACKAGES: Record<string, string> = {
  'keda.sh': '@kubernetes-models/keda',
  'gateway.networking.k8s.io': '@kubernetes-models/gateway-api',
};

/** The CRD groups whose objects crdUnknownFields can check. */
export const CRD_GROUPS = Object.keys(CRD_PACKAGES);

export function isCrd(obj: { apiVersion: string }): boolean {
  return CRD_GROUPS.includes(obj.apiVersion.split('/')[0] ?? '');
}

const cache = new Map<string, { checker: ts.TypeChecker; decl: ts.InterfaceDeclaration }>();

function modelType(apiVersion: string, kind: string): { checker: ts.TypeChecker; decl: ts.InterfaceDeclaration } {
  const key = `${apiVersion}/${kind}`;
  const hit = cache.get(key);
  if (hit) return hit;
  const pkg = CRD_PACKAGES[apiVersion.split('/')[0] ?? ''];
  if (!pkg) throw new Error(`no @kubernetes-models package for ${apiVersion}`);
  const file = join(dirname(require.resolve(`${pkg}/package.json`, { paths: [ROOT] })), apiVersion, `${kind}.d.ts`);
  const program = ts.createProgram([file], { module: ts.ModuleKind.ESNext, moduleResolution: ts.ModuleResolutionKind.Bundler, noEmit: true, skipLibCheck: true });
  const checker = program.getTypeChecker();
  const source = program.getSourceFile(file);
  if (!source) throw new Error(`cannot read ${file}`);
  const decl = source.statements.find((s): s is ts.InterfaceDeclaration => ts.isInterfaceDeclaration(s) && s.name.text === `I${kind}`);
  if (!decl) throw new Error(`no interface I${kind} in ${file}`);
  cache.set(key, { checker, decl });
  return { checker, decl };
}

/**
 * Unknown-field detection for custom resources (KEDA, Gateway API): walks the TypeScript types the
 * @kubernetes-models packages generate from each CRD's schema (their compiled validators only check
 * the fields they know, so a misspelt one passes them).
 */
export function crdUnknownFields(obj: { apiVersion: string; kind: string }): string[] {
  const { checker, decl } = modelType(obj.apiVersion, obj.kind);
  const out: string[] = [];
  walk(checker, checker.getTypeAtLocation(decl), obj, obj.kind, out, decl);
  return out;
}

function walk(checker: ts.TypeChecker, type: ts.Type, value: unknown, path: string, out: string[], at: ts.Node): void {
  if (value === null || typeof value !== 'object') return;
  const t = checker.getNonNullableType(type);
  const members = t.isUnion() ? t.types : [t];
  if (Array.isArray(value)) {
    const arrays = members.filter((m) => checker.isArrayType(m));
    if (!arrays.length) return void out.push(`${path}: a list where the schema has none`);
    const elem = checker.getTypeArguments(arrays[0] as ts.TypeReference)[0];
    if (elem) value.forEach((v, i) => walk(checker, elem, v, `${path}[${i}]`, out, at));
    return;
  }
  const objects = members.filter((m) => !checker.isArrayType(m) && (m.flags & ts.TypeFlags.Object) !== 0);
  if (!objects.length) return;
  for (const [key, v] of Object.entries(value)) {
    let found: ts.Type | undefined;
    for (const m of objects) {
      const prop = checker.getPropertyOfType(m, key);
      if (prop) {
        found = checker.getTypeOfSymbolAtLocation(prop, at);
        break;
      }
      const index = checker.getIndexInfoOfType(m, ts.IndexKind.String);
      if (index) {
        found = index.type;
        break;
      }
    }
    if (!found) out.push(`${path}.${key}: unknown field`);
    else walk(checker, found, v, `${path}.${key}`, out, at);
  }
}
