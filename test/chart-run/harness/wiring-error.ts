/** A defect in how the chart wires the app: what a cluster would also get wrong, named precisely. */
export class WiringError extends Error {
  constructor(message: string) {
    super(message);
    this.name = this.constructor.name;
  }
}
