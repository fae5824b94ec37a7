import { ChildRun } from '../../helpers/child-process';

/** The process of one container: exactly the given argv, cwd and environment, nothing inherited. */
export class ContainerProcess extends ChildRun {
  constructor(
    /** `Deployment/x container "api"` */
    readonly where: string,
    argv: readonly string[],
    readonly cwd: string,
    readonly env: Readonly<Record<string, string>>,
  ) {
    // the command is looked up on the container's PATH, as the runtime does; long runs keep their last 64 KiB
    super(where, argv, { cwd, env, keepChars: 64 * 1024 });
  }
}
