import type { KubeClient } from './kube-client';

/** What every command gets from main: the clients, the release, where to print, and the clock. */
export interface CommandContext {
  readonly client: KubeClient;
  readonly release: string;
  readonly out: { write(text: string): unknown };
  /** @default () => new Date() */
  readonly now?: () => Date;
}

export const nowOf = (ctx: CommandContext): Date => (ctx.now ? ctx.now() : new Date());
