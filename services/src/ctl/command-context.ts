import type { KubeClient } from './kube-client';

/** What every command gets from main: the clients, the release, where to print, and the clock. */
export interface CommandContext {
  readonly client: KubeClient;
  readonly release: string;
  readonly out: { write(text: string): unknown };
  /** Poll interval of `wait` and `run --wait`. @default 2000 */
  readonly pollMs?: number;
  /** @default () => new Date() */
  readonly now?: () => Date;
}

export const pollInterval = (ctx: CommandContext): number => ctx.pollMs ?? 2000;
export const nowOf = (ctx: CommandContext): Date => (ctx.now ? ctx.now() : new Date());
export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
