/**
 * Kubernetes' `$(VAR)` expansion, ported from kubernetes/third_party/forked/golang/expansion: `$(NAME)`
 * becomes the mapped value, `$$` becomes `$` (so `$$(NAME)` stays literal), an unknown or unterminated
 * reference and a `$` before any other character are copied unchanged.
 *
 * `onMissing` is told every reference the mapping does not know, so a caller can report it.
 */
export function expand(input: string, mapping: (name: string) => string | undefined, onMissing?: (name: string) => void): string {
  let out = '';
  let checkpoint = 0;
  for (let cursor = 0; cursor < input.length; cursor++) {
    if (input[cursor] !== '$' || cursor + 1 >= input.length) continue;
    out += input.slice(checkpoint, cursor);
    const rest = input.slice(cursor + 1);
    let advance = 1;
    if (rest[0] === '$') {
      out += '$';
    } else if (rest[0] === '(') {
      const close = rest.indexOf(')', 1);
      if (close === -1) {
        out += '$(';
      } else {
        const name = rest.slice(1, close);
        const value = mapping(name);
        if (value === undefined) onMissing?.(name);
        out += value ?? `$(${name})`;
        advance = close + 1;
      }
    } else {
      out += `$${rest[0]}`;
    }
    cursor += advance;
    checkpoint = cursor + 1;
  }
  return out + input.slice(checkpoint);
}
