import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ALERTS } from '../../cdk8s/lib/monitoring/alerts';
import { runbookAnchor } from '../../cdk8s/lib/prometheus-rule';

const root = join(__dirname, '..', '..');
const readme = readFileSync(join(root, 'README.md'), 'utf8');
const runbooks = readFileSync(join(root, 'docs', 'runbooks.md'), 'utf8');

/** GitHub's heading anchor: lower case, punctuation dropped, spaces to dashes. */
const anchor = (heading: string) => heading.trim().toLowerCase().replace(/[^a-z0-9 -]/g, '').replace(/ /g, '-');

test("docs/runbooks.md has a section per alert, at the anchor the alert's runbook_url names", () => {
  const anchors = [...runbooks.matchAll(/^## (.+)$/gm)].map((m) => anchor(m[1]!));
  expect(anchors).toEqual(ALERTS.map((a) => runbookAnchor(a.name)));
});

test("the README's operations section lists every alert with what to do", () => {
  const start = readme.indexOf('### Operations: alerts and dashboards');
  expect(start).toBeGreaterThan(0);
  const section = readme.slice(start, readme.indexOf('\n### ', start + 10));
  const rows = new Map([...section.matchAll(/^\| `(Pca\w+)` \|(.+)\|$/gm)].map((m) => [m[1]!, m[2]!.split('|').map((c) => c.trim())]));
  expect([...rows.keys()]).toEqual(ALERTS.map((a) => a.name));
  for (const a of ALERTS) {
    const [severity, when, action] = rows.get(a.name)!;
    expect(severity).toBe(a.severity);
    expect(when!.length).toBeGreaterThan(10);
    expect(action!.length).toBeGreaterThan(10);
  }
});
