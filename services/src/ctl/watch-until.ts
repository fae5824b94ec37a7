import { k8s, type KubeConfig, type KubernetesListObject, type KubernetesObject } from './kube';

/** One collection to follow: its API path and the matching list call (the informer lists, then watches from there). */
export interface WatchSource<T extends KubernetesObject> {
  /** e.g. `/apis/batch/v1/namespaces/pca/jobs` */
  readonly path: string;
  readonly list: () => Promise<KubernetesListObject<T>>;
  readonly labelSelector?: string;
  /** e.g. `metadata.name=x`; the list call must use the same. */
  readonly fieldSelector?: string;
}

type Lists<S extends readonly WatchSource<KubernetesObject>[]> = { [K in keyof S]: S[K] extends WatchSource<infer T> ? T[] : never };

/**
 * Follows each source with client-node's list-and-watch informer (it re-watches when the server closes
 * or idles the watch) and asks `decide` after the first lists and after every change. Resolves with
 * the first value `decide` returns, or undefined once `timeoutMs` has passed; rejects when the API
 * refuses (the informer stops on any error but a timeout or an expired resourceVersion).
 */
export function watchUntil<const S extends readonly WatchSource<KubernetesObject>[], R>(
  kc: KubeConfig,
  sources: S,
  decide: (lists: Lists<S>) => R | undefined,
  timeoutMs: number,
): Promise<R | undefined> {
  return new Promise((resolve, reject) => {
    const listed = new Set<number>();
    let finished = false;
    const informers = sources.map((s, i) => {
      const list = async () => {
        const result = await s.list();
        // after the informer has stored this list (it does so as soon as the call returns)
        setImmediate(() => {
          listed.add(i);
          check();
        });
        return result;
      };
      return new k8s.ListWatch(s.path, new k8s.Watch(kc), list, false, s.labelSelector, s.fieldSelector);
    });
    const finish = (settle: () => void) => {
      if (finished) return;
      finished = true;
      clearTimeout(timer);
      for (const informer of informers) void informer.stop();
      settle();
    };
    function check(): void {
      if (finished || listed.size < informers.length) return;
      try {
        const result = decide(informers.map((informer) => informer.list()) as Lists<S>);
        if (result !== undefined) finish(() => resolve(result));
      } catch (err) {
        finish(() => reject(asError(err)));
      }
    }
    const timer = setTimeout(() => finish(() => resolve(undefined)), timeoutMs);
    for (const informer of informers) {
      informer.on('change', check);
      informer.on('error', (err: unknown) => finish(() => reject(asError(err))));
      informer.start().catch((err: unknown) => finish(() => reject(asError(err))));
    }
  });
}

// client-node rejects with ApiException (an Error with code and body) or an Error with statusCode; anything else is wrapped
const asError = (err: unknown): Error => (err instanceof Error ? err : new Error(String(err)));
