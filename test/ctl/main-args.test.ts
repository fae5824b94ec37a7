import { runCtl, USAGE } from '../../services/src/ctl/main';

async function ctl(...argv: string[]) {
  let out = '';
  let err = '';
  // No kubeconfig anywhere: a test that got past argument checking would fail on it instead.
  const code = await runCtl(argv, { out: { write: (s: string) => (out += s) }, err: { write: (s: string) => (err += s) }, env: { HOME: '/nonexistent' } });
  return { code, out, err };
}

describe('ctl command line', () => {
  it('prints the usage for --help (exit 0) and without a command (exit 2)', async () => {
    expect(await ctl('--help')).toEqual({ code: 0, out: USAGE, err: '' });
    expect(await ctl()).toMatchObject({ code: 2, out: USAGE });
  });

  it.each([
    [['restart'], 'unknown command "restart"'],
    [['status', '--wait'], 'status does not take --wait'],
    [['wait', '--api-port', '1'], 'wait does not take --api-port'],
    [['run'], 'run needs a task name, e.g. run cleanup_old_reports'],
    [['run', 'a', 'b'], 'run takes one task name, got: a b'],
    [['status', 'extra'], 'status takes no arguments, got: extra'],
    [['wait', '--timeout', 'soon'], '--timeout must be a positive number, got "soon"'],
    [['dashboards', '--api-port', '0'], '--api-port must be a port number between 1 and 65535, got "0"'],
    [['status', '--bogus'], 'unknown option --bogus'],
    [['wait', '--timeout'], '--timeout needs a value'],
  ])('%j is a usage error: %s', async (argv, message) => {
    const { code, err } = await ctl(...argv);
    expect(code).toBe(2);
    expect(err).toBe(`pca-agent-ctl: ${message}\n\n${USAGE}`);
  });

  it('reaches the kubeconfig once the arguments are right', async () => {
    const { code, err } = await ctl('run', 'health_check', '--wait', '--timeout', '30', '-n', 'pca', '-r', 'shop');
    expect(code).toBe(1);
    expect(err).toMatch(/^pca-agent-ctl: No kubeconfig found/);
  });
});
