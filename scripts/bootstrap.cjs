#!/usr/bin/env node
// `npm start` and `npm test` from a fresh clone on any Node >= 18: puts Node 24 on PATH (the official
// binary from the npm registry into .tools/node, once, when the machine's is another major), installs
// the dependencies when node_modules is missing or does not match package-lock.json, then runs the
// npm script named by the first argument with the remaining arguments. Plain CommonJS on purpose: it
// runs before TypeScript, the dependencies or the right Node exist.
'use strict';
const { spawnSync } = require('node:child_process');
const { existsSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, mkdirSync } = require('node:fs');
const { tmpdir } = require('node:os');
const { delimiter, join } = require('node:path');

const ROOT = join(__dirname, '..');
const WANTED_MAJOR = Number(readFileSync(join(ROOT, '.nvmrc'), 'utf8').trim());
const TOOLS_NODE = join(ROOT, '.tools', 'node');

function fail(message) {
  process.stderr.write(`bootstrap: ${message}\n`);
  process.exit(1);
}

function run(cmd, args, env, opts = {}) {
  const result = spawnSync(cmd, args, { cwd: ROOT, env, stdio: 'inherit', shell: process.platform === 'win32', ...opts });
  if (result.error) fail(`${cmd} ${args.join(' ')}: ${result.error.message}`);
  return result.status ?? 1;
}

/** The bin directory of a Node with the wanted major: the machine's, or one fetched into .tools/node. */
function nodeBin() {
  if (Number(process.versions.node.split('.')[0]) === WANTED_MAJOR) return undefined;
  const bin = process.platform === 'win32' ? TOOLS_NODE : join(TOOLS_NODE, 'bin');
  const exe = join(bin, process.platform === 'win32' ? 'node.exe' : 'node');
  if (existsSync(exe)) return bin;
  // The Node project's own binaries are published to npm as node-<os>-<arch>.
  const os = { linux: 'linux', darwin: 'darwin', win32: 'win' }[process.platform];
  if (!os) fail(`no Node ${WANTED_MAJOR} package for ${process.platform}; install Node ${WANTED_MAJOR} (see .nvmrc)`);
  const pkg = `node-${os}-${process.arch}@${WANTED_MAJOR}`;
  process.stderr.write(`bootstrap: node ${process.version} is not ${WANTED_MAJOR}.x; fetching ${pkg} from the npm registry into .tools/node\n`);
  const tmp = mkdtempSync(join(tmpdir(), 'pca-node-'));
  try {
    if (run('npm', ['pack', '--silent', pkg], process.env, { cwd: tmp, stdio: ['ignore', 'ignore', 'inherit'] }) !== 0) {
      fail(`npm pack ${pkg} failed; install Node ${WANTED_MAJOR} yourself (see .nvmrc)`);
    }
    const tgz = readdirSync(tmp).find((f) => f.endsWith('.tgz'));
    if (!tgz || run('tar', ['xzf', tgz], process.env, { cwd: tmp }) !== 0) fail(`could not unpack ${pkg}`);
    mkdirSync(join(ROOT, '.tools'), { recursive: true });
    rmSync(TOOLS_NODE, { recursive: true, force: true });
    renameSync(join(tmp, 'package'), TOOLS_NODE);
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
  if (!existsSync(exe)) fail(`${pkg} has no ${exe}`);
  return bin;
}

/**
 * Why node_modules does not match the lockfile (undefined when it does): npm writes what it installed to
 * node_modules/.package-lock.json, so every package the lockfile requires must be there at its version.
 * Optional packages (other platforms' binaries) may rightly be absent.
 */
function staleness(root = ROOT) {
  const installedFile = join(root, 'node_modules', '.package-lock.json');
  if (!existsSync(installedFile)) return 'node_modules is missing';
  const wanted = JSON.parse(readFileSync(join(root, 'package-lock.json'), 'utf8')).packages ?? {};
  const installed = JSON.parse(readFileSync(installedFile, 'utf8')).packages ?? {};
  for (const [path, entry] of Object.entries(wanted)) {
    if (path === '' || entry.optional || entry.link) continue;
    if (installed[path]?.version !== entry.version) return `${path.replace(/^node_modules\//, '')} ${entry.version} is not installed`;
  }
  return undefined;
}

function main() {
  const [script, ...args] = process.argv.slice(2);
  if (!script) fail('usage: node scripts/bootstrap.cjs <npm script> [args...]');
  const bin = nodeBin();
  const env = bin ? { ...process.env, PATH: `${bin}${delimiter}${process.env.PATH ?? ''}` } : process.env;
  const stale = staleness();
  if (stale) {
    process.stderr.write(`bootstrap: ${stale}; running npm ci\n`);
    if (run('npm', ['ci', '--no-audit', '--no-fund'], env) !== 0) fail('npm ci failed');
  }
  process.exit(run('npm', ['run', '--silent', script, ...(args.length ? ['--', ...args] : [])], env));
}

if (require.main === module) main();
else module.exports = { staleness };
