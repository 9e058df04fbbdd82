// The outside services the bot acts on: Entra ID through Microsoft Graph (memberships, and who is who), when
// BOUNDARY_ADDR is set HashiCorp Boundary (signing a person out once their membership is removed), and when
// SERVICENOW_INSTANCE_URL is set ServiceNow (a change record for each grant of a target with change_record), and
// when PAGERDUTY_TOKEN is set PagerDuty (who is on call, and incidents), read-only.

import type { WebClient } from '@slack/web-api';
import { BoundaryHealth } from '../adapters/boundary/boundary-health.js';
import { BoundarySessionRevoker } from '../adapters/boundary/boundary-sign-outs.js';
import { type RejectedCredential, watchCredential } from '../adapters/graph/credential-watch.js';
import { GraphAccessProvider } from '../adapters/graph/graph-access-provider.js';
import { createGraphClient } from '../adapters/graph/graph-client.js';
import { GraphDirectory } from '../adapters/graph/graph-directory.js';
import { PagerDutyClient } from '../adapters/pagerduty/pagerduty-client.js';
import { type ChangeRefusal, WatchedChangeRecords } from '../adapters/servicenow/refusal-watch.js';
import { ServiceNowClient } from '../adapters/servicenow/servicenow-client.js';
import { AdminAlarm, changeRecordsRefusedAlarm, credentialRejectedAlarm } from '../adapters/slack/admin-alerts.js';
import { INCIDENT_LOOKUP_MS } from '../adapters/slack/listeners/before-ack.js';
import type { ChangeRecords, Clock } from '../application/ports.js';
import type { Config } from '../config.js';
import type { Logger } from '../logger.js';
import type { PolicyHolder } from './policy-holder.js';

export interface OutsideServices {
  access: GraphAccessProvider;
  directory: GraphDirectory;
  /** Absent without BOUNDARY_ADDR. */
  boundary?: BoundarySessionRevoker;
  boundaryHealth?: BoundaryHealth;
  /** Absent without SERVICENOW_INSTANCE_URL. */
  changes?: ChangeRecords;
  /** Absent without PAGERDUTY_TOKEN: who is on call, asked once a request's card is posted (3 s at most). */
  onCall?: PagerDutyClient;
  /** Absent without PAGERDUTY_TOKEN: incidents, looked up while Slack waits for the form's answer. */
  incidents?: PagerDutyClient;
}

export interface OutsideServicesDeps {
  clock: Clock;
  /** Whose admins hear of a credential Entra refuses. */
  policy: PolicyHolder;
  /** Where the admins are told. */
  slack: WebClient;
  log: Logger;
}

export function connectOutsideServices(
  config: Pick<Config, 'azure' | 'graph' | 'boundary' | 'servicenow' | 'pagerDuty'>,
  deps: OutsideServicesDeps,
): OutsideServices {
  const { clock } = deps;
  const alarm = new AdminAlarm({
    client: deps.slack,
    admins: () => deps.policy.current().admins,
    clock,
    log: deps.log.child({ module: 'alarm' }),
  });
  const credentialRejected = (failure: RejectedCredential) => {
    const { key, lines } = credentialRejectedAlarm(failure);
    alarm.raise(key, lines);
  };
  const graph = createGraphClient({ ...config.azure, baseUrl: config.graph.baseUrl, now: () => clock.now() });
  const access = watchCredential(new GraphAccessProvider(graph, config.graph.baseUrl, () => clock.now()), credentialRejected);
  const directory = watchCredential(new GraphDirectory(graph, () => clock.now()), credentialRejected);
  const boundary = config.boundary && new BoundarySessionRevoker(config.boundary);
  const boundaryHealth = boundary && new BoundaryHealth(() => boundary.probe(), { now: () => clock.now() });
  const changeRecordsRefused = (refusal: ChangeRefusal) => {
    const { key, lines } = changeRecordsRefusedAlarm(refusal);
    alarm.raise(key, lines);
  };
  const changes = config.servicenow && new WatchedChangeRecords(new ServiceNowClient(config.servicenow), changeRecordsRefused);
  const pagerDuty = config.pagerDuty && { token: config.pagerDuty.token, apiUrl: config.pagerDuty.apiUrl, now: () => clock.now() };
  const onCall = pagerDuty && new PagerDutyClient(pagerDuty);
  // A shorter deadline than the client's own: the answer must still fit the form's inline reply (before-ack.ts).
  const incidents = pagerDuty && new PagerDutyClient({ ...pagerDuty, timeoutMs: INCIDENT_LOOKUP_MS });
  return {
    access,
    directory,
    ...(boundary && { boundary }),
    ...(boundaryHealth && { boundaryHealth }),
    ...(changes && { changes }),
    ...(onCall && { onCall }),
    ...(incidents && { incidents }),
  };
}
