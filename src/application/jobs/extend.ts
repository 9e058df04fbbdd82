// The end of an extended PIM grant, moved in Entra: the bot's own end moved when the extension was granted, and
// this job moves the end Entra keeps for the assignment to match (Entra would otherwise end the access at the
// old end by itself). Direct membership has no end in Entra, so no such job is queued for it.

import type { AccessRequest } from '../../domain/access-request.js';
import { type EntraExtension, recordEntraExtension } from '../../domain/extension.js';
import { grantedSpec, journaledMembership } from '../../domain/membership.js';
import type { StoredJob } from '../ports.js';
import { finish, type JobDeps, type JobOutcome, record, retry } from './job-outcome.js';

export async function runExtend(deps: JobDeps, job: StoredJob, request: AccessRequest): Promise<JobOutcome> {
  // An end asked for since: the revoke job removes the assignment, nothing is left to move.
  if (request.state !== 'active' || request.ending) return finish(deps, job, `nothing to extend: the request is ${request.state}`);
  // What the bot's call made: the journaled group, even where the recorded grant says otherwise.
  const membership = journaledMembership(request);
  if (membership?.kind !== 'pim_group') return finish(deps, job, 'nothing to extend in Entra: no PIM assignment');

  // Overlapping grants of the bot share the one assignment: Entra's end follows the latest of them.
  const covering = await deps.requests.listCovering(membership.groupId, membership.principalId, request.id);
  const endsAt = Math.max(request.endsAt, ...covering.map((other) => (other.state === 'active' ? other.endsAt : 0)));
  const justification = `Extended in Slack: ${request.extension?.reason ?? request.reason} (jit-access-bot ${request.id})`;
  const result = await deps.access.extend(grantedSpec(membership), membership.principalId, endsAt, justification);
  if (!result.ok && result.kind === 'transient') return retry(deps, job, result);
  const outcome: EntraExtension = !result.ok
    ? { result: 'refused', problem: result.message }
    : result.alreadyAbsent
      ? { result: 'absent' }
      : { result: 'moved', entraEndsAt: endsAt };
  return record(deps, job, (current) => recordEntraExtension(current, outcome), `Entra's end ${outcome.result}`);
}
