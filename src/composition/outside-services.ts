// The outside services the bot acts on: Entra ID through Microsoft Graph (memberships, and who is who), when
// BOUNDARY_ADDR is set HashiCorp Boundary (signing a person out once their membership is removed), and when
// SERVICENOW_INSTANCE_URL is set ServiceNow (a change record for each grant of a target with change_record), and
// when PAGERDUTY_TOKEN is set PagerDuty (who is on call, and incidents), read-only. The adapters of the optional
// three are loaded only when configured (dynamic import, as storage.ts does for the drivers): a bot that does not
// use them does not hold their code.

import type { WebClient } from '@slack/web-api';
import type { BoundaryHealth } from '../adapters/boundary/boundary-health.js';
import type { BoundarySessionRevoker } from '../adapters/boundary/boundary-sign-outs.js';
import { type RejectedCredential, watchCredential } from '../adapters/graph/credential-watch.js';
import { GraphAccessProvider } from '../adapters/graph/graph-access-provider.js';
import { createGraphClient } from '../adapters/graph/graph-client.js';
import { GraphDirectory } from '../adapters/graph/graph-directory.js';
import type { PagerDutyClient } from '../adapters/pagerduty/pagerduty-client.js';
import type { ChangeRefusal } from '../adapters/servicenow/refusal-watch.js';
import { AdminAlarm, changeRecordsRefusedAlarm, credentialRejectedAlarm } from '../adapters/slack/admin-alerts.js';
import { INCIDENT_LOOKUP_MS } from '../adapters/slack/listeners/before-ack.js';
import type { ChangeRecords, Clock } from '../application/ports.js';
import type { BoundaryConfig, Config, PagerDutyConfig, ServiceNowConfig } from '../config.js';
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

export async function connectOutsideServices(
  config: Pick<Config, 'azure' | 'graph' | 'boundary' | 'servicenow' | 'pagerDuty'>,
  deps: OutsideServicesDeps,
): Promise<OutsideServices> {
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
  const changeRecordsRefused = (refusal: ChangeRefusal) => {
    const { key, lines } = changeRecordsRefusedAlarm(refusal);
    alarm.raise(key, lines);
  };
  const [boundary, changes, pagerDuty] = await Promise.all([
    config.boundary && connectBoundary(config.boundary, clock),
    config.servicenow && connectServiceNow(config.servicenow, changeRecordsRefused),
    config.pagerDuty && connectPagerDuty(config.pagerDuty, clock),
  ]);
  return { access, directory, ...boundary, ...(changes && { changes }), ...pagerDuty };
}

async function connectBoundary(config: BoundaryConfig, clock: Clock): Promise<Pick<OutsideServices, 'boundary' | 'boundaryHealth'>> {
  const [{ BoundarySessionRevoker }, { BoundaryHealth }] = await Promise.all([
    import('../adapters/boundary/boundary-sign-outs.js'),
    import('../adapters/boundary/boundary-health.js'),
  ]);
  const boundary = new BoundarySessionRevoker(config);
  return { boundary, boundaryHealth: new BoundaryHealth(() => boundary.probe(), { now: () => clock.now() }) };
}

async function connectServiceNow(config: ServiceNowConfig, refused: (refusal: ChangeRefusal) => void): Promise<ChangeRecords> {
  const [{ WatchedChangeRecords }, { ServiceNowClient }] = await Promise.all([
    import('../adapters/servicenow/refusal-watch.js'),
    import('../adapters/servicenow/servicenow-client.js'),
  ]);
  return new WatchedChangeRecords(new ServiceNowClient(config), refused);
}

async function connectPagerDuty(config: PagerDutyConfig, clock: Clock): Promise<Pick<OutsideServices, 'onCall' | 'incidents'>> {
  const { PagerDutyClient } = await import('../adapters/pagerduty/pagerduty-client.js');
  const options = { token: config.token, apiUrl: config.apiUrl, now: () => clock.now() };
  return {
    onCall: new PagerDutyClient(options),
    // A shorter deadline than the client's own: the answer must still fit the form's inline reply (before-ack.ts).
    incidents: new PagerDutyClient({ ...options, timeoutMs: INCIDENT_LOOKUP_MS }),
  };
}
