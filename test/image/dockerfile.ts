import { readFileSync } from 'node:fs';

export interface Instruction {
  readonly cmd: string;
  /** Everything after the instruction, with `--flag=value` options removed. */
  readonly rest: string;
  readonly flags: Record<string, string>;
}

export interface Stage {
  readonly name: string;
  readonly from: string;
  readonly instructions: Instruction[];
}

/** Just enough of the Dockerfile grammar for the checks: continuations, comments, flags, global ARGs in FROM. */
export function parseDockerfile(path: string): { args: Record<string, string>; stages: Stage[] } {
  const text = readFileSync(path, 'utf8').replace(/\\\r?\n/g, ' ');
  const args: Record<string, string> = {};
  const stages: Stage[] = [];
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    if (!line || line.startsWith('#')) continue;
    const [, cmd = '', body = ''] = /^(\S+)\s*(.*)$/.exec(line) ?? [];
    const flags: Record<string, string> = {};
    let rest = body;
    for (let m = /^--([\w-]+)=(\S+)\s*/.exec(rest); m; m = /^--([\w-]+)=(\S+)\s*/.exec(rest)) {
      flags[m[1] as string] = m[2] as string;
      rest = rest.slice(m[0].length);
    }
    const instruction = { cmd: cmd.toUpperCase(), rest, flags };
    if (instruction.cmd === 'FROM') {
      const [image = '', , name] = rest.split(/\s+/);
      const resolved = image.replace(/\$\{(\w+)\}|\$(\w+)/g, (_, a: string | undefined, b: string | undefined) => args[(a ?? b) as string] ?? '');
      stages.push({ name: name ?? String(stages.length), from: resolved, instructions: [] });
    } else if (instruction.cmd === 'ARG' && stages.length === 0) {
      const [k, v = ''] = rest.split('=');
      args[k as string] = v;
    } else {
      stages.at(-1)?.instructions.push(instruction);
    }
  }
  return { args, stages };
}

/** The JSON array of an exec-form ENTRYPOINT/CMD, or null for the shell form. */
export function execForm(rest: string): string[] | null {
  try {
    const parsed: unknown = JSON.parse(rest);
    return Array.isArray(parsed) && parsed.every((x) => typeof x === 'string') ? (parsed) : null;
  } catch {
    return null;
  }
}

/** Docker's .dockerignore matching (filepath.Match with `**`), enough for the patterns we use. */
export function dockerignored(patterns: string[], path: string): boolean {
  let ignored = false;
  for (const raw of patterns) {
    const negate = raw.startsWith('!');
    const pattern = (negate ? raw.slice(1) : raw).replace(/^\/+|\/+$/g, '');
    const re = new RegExp(
      '^' +
        pattern
          .split('/')
          .map((seg) => (seg === '**' ? '.*' : seg.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '[^/]*').replace(/\?/g, '[^/]')))
          .join('/')
          .replace(/\.\*\//g, '(?:.*/)?') +
        '(?:/.*)?$',
    );
    if (re.test(path)) ignored = !negate;
  }
  return ignored;
}

export function dockerignorePatterns(path: string): string[] {
  return readFileSync(path, 'utf8')
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('#'));
}
