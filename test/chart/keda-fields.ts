import { dirname, join } from 'node:path';
import ts from 'typescript';
import { ROOT } from './helm';

const cache = new Map<string, { checker: ts.TypeChecker; decl: ts.InterfaceDeclaration }>();

function kedaType(kind: string): { checker: ts.TypeChecker; decl: ts.InterfaceDeclaration } {
  const hit = cache.get(kind);
  if (hit) return hit;
  const file = join(dirname(require.resolve('@kubernetes-models/keda/package.json', { paths: [ROOT] })), 'keda.sh', 'v1alpha1', `${kind}.d.ts`);
  const program = ts.createProgram([file], { module: ts.ModuleKind.ESNext, moduleResolution: ts.ModuleResolutionKind.Bundler, noEmit: true, skipLibCheck: true });
  const checker = program.getTypeChecker();
  const source = program.getSourceFile(file);
  if (!source) throw new Error(`cannot read ${file}`);
  const decl = source.statements.find((s): s is ts.InterfaceDeclaration => ts.isInterfaceDeclaration(s) && s.name.text === `I${kind}`);
  if (!decl) throw new Error(`no interface I${kind} in ${file}`);
  cache.set(kind, { checker, decl });
  return { checker, decl };
}

/**
 * Unknown-field detection for KEDA objects: walks the TypeScript types @kubernetes-models/keda
 * generates from the KEDA CRD schema (its compiled validators only check known fields).
 */
export function kedaUnknownFields(obj: { kind: string }): string[] {
  const { checker, decl } = kedaType(obj.kind);
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
