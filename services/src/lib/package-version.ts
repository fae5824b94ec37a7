import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

let cached: string | undefined;

/**
 * The version in the nearest package.json named pca-agent, walking up from this file (works from src and
 * dist alike), read once. '0.0.0-unknown' when none is found, so a version-less build says so.
 */
export function packageVersion(): string {
  if (cached !== undefined) return cached;
  for (let dir = __dirname; ; dir = dirname(dir)) {
    try {
      const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { name?: string; version?: string };
      if (pkg.name === 'pca-agent' && pkg.version) return (cached = pkg.version);
    } catch {
      // not here; keep walking up
    }
    if (dirname(dir) === dir) return (cached = '0.0.0-unknown');
  }
}
