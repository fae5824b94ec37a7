import { existsSync } from 'node:fs';
import { join, posix } from 'node:path';
import { execForm, parseDockerfile, type Stage } from '../../image/dockerfile';
import { WiringError } from './wiring-error';

export const ROOT = join(__dirname, '..', '..', '..');

/** What Kubernetes takes from the project's image: the runtime (last) stage of the Dockerfile. */
export interface ImageConfig {
  readonly workdir: string;
  readonly entrypoint: readonly string[];
  readonly cmd: readonly string[];
  /** ENV of the runtime stage (the base image's PATH etc. are the local machine's). */
  readonly env: Readonly<Record<string, string>>;
  /** Absolute paths in the image that COPY put there; the rest of the repo is not in the image. */
  readonly copied: readonly string[];
}

function instructions(stage: Stage, cmd: string) {
  return stage.instructions.filter((i) => i.cmd === cmd);
}

function parseEnv(rest: string): Record<string, string> {
  const unquote = (v: string) => v.replace(/^"(.*)"$/, '$1').replace(/^'(.*)'$/, '$1');
  if (!/^\S+=/.test(rest)) {
    const [k = '', ...v] = rest.split(/\s+/);
    return { [k]: v.join(' ') };
  }
  const out: Record<string, string> = {};
  for (const m of rest.matchAll(/([A-Za-z_][A-Za-z0-9_]*)=("[^"]*"|'[^']*'|\S*)/g)) out[m[1]!] = unquote(m[2]!);
  return out;
}

/** Reads WORKDIR, ENTRYPOINT, CMD, ENV and COPY destinations of the Dockerfile's last stage. */
export function readImageConfig(dockerfile = join(ROOT, 'Dockerfile')): ImageConfig {
  const { stages } = parseDockerfile(dockerfile);
  const runtime = stages.at(-1);
  if (!runtime) throw new Error(`${dockerfile}: no FROM`);
  let workdir = '/';
  const env: Record<string, string> = {};
  const copied: string[] = [];
  let entrypoint: string[] = [];
  let cmd: string[] = [];
  let cmdSet = false;
  for (const i of runtime.instructions) {
    if (i.cmd === 'WORKDIR') workdir = posix.resolve(workdir, i.rest);
    else if (i.cmd === 'ENV') Object.assign(env, parseEnv(i.rest));
    else if (i.cmd === 'COPY' || i.cmd === 'ADD') {
      const parts = execForm(i.rest) ?? i.rest.split(/\s+/);
      const dest = posix.resolve(workdir, parts.at(-1)!);
      const sources = parts.slice(0, -1);
      for (const src of sources) copied.push(parts.at(-1)!.endsWith('/') ? posix.join(dest, posix.basename(src)) : dest);
    } else if (i.cmd === 'ENTRYPOINT' || i.cmd === 'CMD') {
      const form = execForm(i.rest);
      if (!form) throw new Error(`${dockerfile}: ${i.cmd} in shell form is not modelled (use the exec form)`);
      if (i.cmd === 'ENTRYPOINT') {
        entrypoint = form;
        // Docker: ENTRYPOINT resets a CMD inherited from the base image, not one set in this stage
        if (!cmdSet) cmd = [];
      } else {
        cmd = form;
        cmdSet = true;
      }
    }
  }
  if (instructions(runtime, 'ENTRYPOINT').length === 0 && instructions(runtime, 'CMD').length === 0) {
    throw new Error(`${dockerfile}: the runtime stage sets neither ENTRYPOINT nor CMD`);
  }
  return { workdir, entrypoint, cmd, env, copied };
}

/**
 * The argv Kubernetes runs: `command` replaces the ENTRYPOINT (and drops the CMD), `args` replaces the
 * CMD; either may be absent.
 */
export function containerArgv(image: ImageConfig, container: { command?: string[]; args?: string[] }): string[] {
  const command = container.command ?? [...image.entrypoint];
  const args = container.args ?? (container.command ? [] : [...image.cmd]);
  return [...command, ...args];
}

const PATH_LIKE = /^(?:\.{1,2}\/|\/)?[\w@.+-]+(?:\/[\w@.+-]+)+\/?$|^\.{1,2}\/[\w@.+-]+$/;

/**
 * Where the image's paths live locally: WORKDIR is the repo root (the local build mirrors what the
 * Dockerfile COPYs there). Every argument that names a file under WORKDIR must be something the image
 * contains (under a COPY destination) and that the local build has, or the container would not start.
 */
export function localArgv(image: ImageConfig, argv: readonly string[], where: string): { argv: string[]; cwd: string } {
  const out: string[] = [];
  for (const arg of argv) {
    if (!PATH_LIKE.test(arg) || arg.startsWith('-')) {
      out.push(arg);
      continue;
    }
    const inImage = posix.resolve(image.workdir, arg);
    if (inImage !== image.workdir && !inImage.startsWith(`${image.workdir}/`)) {
      out.push(arg);
      continue;
    }
    if (!image.copied.some((c) => inImage === c || inImage.startsWith(`${c}/`))) {
      throw new WiringError(`${where}: argument ${JSON.stringify(arg)} is ${inImage} in the image, which the Dockerfile does not COPY (image has: ${image.copied.join(', ')})`);
    }
    const local = join(ROOT, posix.relative(image.workdir, inImage));
    if (!existsSync(local)) {
      throw new WiringError(`${where}: argument ${JSON.stringify(arg)} is ${inImage} in the image, and the build has no ${local} (a wrong path, or run \`npm run build\`)`);
    }
    out.push(arg.startsWith('/') ? local : arg);
  }
  return { argv: out, cwd: ROOT };
}
