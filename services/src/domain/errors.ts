import { PcaError } from '../lib/errors';

/** Create with an id that is already stored. */
export class CampaignConflictError extends PcaError {
  constructor(readonly id: string) {
    super(`campaign ${id} already exists`);
  }
}

/** A list cursor that another sort (or no list) produced. */
export class InvalidCursorError extends PcaError {
  constructor() {
    super('cursor is not valid for this sort');
  }
}

/** An update whose result would end before it starts (the patch alone can be valid). */
export class InvalidFlightError extends PcaError {
  constructor(
    readonly startDate: string,
    readonly endDate: string,
  ) {
    super(`end_date ${endDate} is before start_date ${startDate}`);
  }
}
