// On globalThis, as the SDK's state is (sdk.ts): every copy of this module must see the one value.
const RATIO = Symbol.for('pca-agent.telemetry.root-draw-ratio');
type Global = typeof globalThis & { [RATIO]?: number };

/** Set once by startTelemetry: the share of new traces entry points draw. */
export function setRootDrawRatio(ratio: number): void {
  (globalThis as Global)[RATIO] = ratio;
}

/**
 * The share of new traces (an HTTP request without `traceparent`, a job enqueued outside any trace) that
 * the entry points start, drawn before any span exists so the others cost next to nothing; undefined
 * when startTelemetry did not run in this process (tests with their own tracer: the sampler decides).
 */
export function rootDrawRatio(): number | undefined {
  return (globalThis as Global)[RATIO];
}
