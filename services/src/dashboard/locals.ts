/** What the dashboard's middleware leave in `res.locals`. */
declare global {
  // eslint-disable-next-line @typescript-eslint/no-namespace -- Express declares Locals in its global namespace
  namespace Express {
    interface Locals {
      /** The signed-in user, after basic auth passed. */
      dashboardUser?: string;
    }
  }
}

export {};
