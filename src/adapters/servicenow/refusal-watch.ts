// ServiceNow refusing the bot's integration user (401: wrong credentials; 403: a missing role) or its template
// stops every change record, and no retry heals it: someone has to act. Whichever call meets it first, the
// admins are to hear of it (the change_record job keeps retrying, slowly, meanwhile).

import type { ChangeMove, ChangeOpening, ChangeOrder, ChangeOutcome, ChangeRecords, OutsideFailure } from '../../application/ports.js';

export type ChangeRefusal = Extract<OutsideFailure, { kind: 'permanent' }>;

/** The refusals that are the configuration's, not one change's: the credentials, the role, the template, the URL. */
const CONFIGURATION_CODES = new Set(['Unauthenticated', 'Forbidden', 'TemplateNotFound', 'TemplateRefused', 'Redirected', 'BadReply']);

export function isConfigurationRefusal(result: ChangeOpening | ChangeMove): result is ChangeRefusal {
  return !result.ok && result.kind === 'permanent' && CONFIGURATION_CODES.has(result.code);
}

/** `changes` with every call reporting a refusal of the configuration to `onRefused` on its way back. */
export class WatchedChangeRecords implements ChangeRecords {
  constructor(
    private readonly changes: ChangeRecords,
    private readonly onRefused: (refusal: ChangeRefusal) => void,
  ) {}

  async openChange(order: ChangeOrder): Promise<ChangeOpening> {
    return this.watched(await this.changes.openChange(order));
  }

  async moveToImplement(sysId: string): Promise<ChangeMove> {
    return this.watched(await this.changes.moveToImplement(sysId));
  }

  async closeChange(sysId: string, closing: { outcome: ChangeOutcome; notes: string }): Promise<ChangeMove> {
    return this.watched(await this.changes.closeChange(sysId, closing));
  }

  private watched<T extends ChangeOpening | ChangeMove>(result: T): T {
    if (isConfigurationRefusal(result)) this.onRefused(result);
    return result;
  }
}
