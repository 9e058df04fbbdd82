// npm run demo — the whole flow offline: the real bot against the bundled Slack, Graph, Boundary, ServiceNow and
// PagerDuty simulators. A request is made, approved, granted with a ServiceNow change opened for it, warned about,
// extended by a minute (asked from the warning, approved in the card's thread), expired and revoked, the person's
// Boundary sign-in and session ended and the change closed with its close code. Meanwhile a second request, for a
// target that trusts PagerDuty, is approved at once because the person is on call, and an approver revokes it
// from the card. Printed as a transcript of what each person sees in Slack, each call to the outside services,
// and the audit trail. Exits 0 only once every step happened.

import { fileURLToPath } from 'node:url';
import { type BoundaryRequestRecord, BoundarySimulator } from '../simulators/boundary/boundary-simulator.js';
import { type PagerDutyRequestRecord, PagerDutySimulator } from '../simulators/pagerduty/pagerduty-simulator.js';
import { APPROVALS, CHANGE_TEMPLATE, MEMBER_GROUP } from '../simulators/policies.js';
import { PEOPLE, sqliteOf, startWorld, type World } from '../simulators/sandbox.js';
import { STATE_LABELS } from '../simulators/servicenow/change-table.js';
import { type ServiceNowRequestRecord, ServiceNowSimulator } from '../simulators/servicenow/servicenow-simulator.js';
import { manifestBotScopes } from '../simulators/slack/manifest-scopes.js';
import { SlackSimulator } from '../simulators/slack/slack-simulator.js';
import type { SimMessage } from '../simulators/slack/workspace.js';
import { runTrustingSimulatorCa } from '../simulators/trust-simulator-ca.js';
import { formatDuration } from '../src/domain/duration.js';
import { blocksAsLines, type Names, readableMrkdwn } from './transcript.js';

const DURATION_MINUTES = 2;
const EXTENSION_MINUTES = 1;
/** The Entra group behind the on-call target; the sandbox makes MEMBER_GROUP, the demo adds this one. */
const LOGS_GROUP = '6c2f8a1b-4d3e-4f9a-8b7c-2d3e4f5a6b7c';
const ON_CALL_SCHEDULE = { id: 'PDEMO01', name: 'Staging primary' };
const DEMO_POLICY = `version: 1
admins: [U0ADMIN01]
settings: { pending_timeout: 15m, expiry_warning: 1m }
targets:
  - id: staging-db
    name: Staging database (read/write)
    description: The demo's target; its short duration lets you watch access end
    boundary: { managed_group: Staging DB - Boundary, target_ids: [ttcp_demo000001] }
    grant: { kind: group_membership, group_id: ${MEMBER_GROUP} }
    duration: { default: ${DURATION_MINUTES}m, max: ${DURATION_MINUTES}m }
    approvers: { channel: ${APPROVALS}, users: [U0MANAGER1, U0MANAGER2], required: 1 }
    extension: { max_total: ${DURATION_MINUTES + EXTENSION_MINUTES}m, approval: approvers }
    change_record: { template_id: ${CHANGE_TEMPLATE} }
  - id: staging-logs
    name: Staging logs (read)
    description: Approved at once for whoever is on call for ${ON_CALL_SCHEDULE.name}
    grant: { kind: group_membership, group_id: ${LOGS_GROUP} }
    duration: { default: 15m, max: 1h }
    approvers: { channel: ${APPROVALS}, users: [U0MANAGER1, U0MANAGER2], required: 1 }
    auto_approve: { on_call: { schedule_ids: [${ON_CALL_SCHEDULE.id}], max_level: 1 }, max: 30m }
`;
const TIMEOUT_MS = (DURATION_MINUTES + EXTENSION_MINUTES + 2) * 60_000;
/** For what follows at once from the step before (a grant, a call, a card update): a failure shows soon. */
const SOON_MS = 15_000;

const started = Date.now();
const stamp = () => {
  const seconds = Math.floor((Date.now() - started) / 1000);
  return `${String(Math.floor(seconds / 60)).padStart(2, '0')}:${String(seconds % 60).padStart(2, '0')}`;
};
const print = (who: string, lines: string[]) => {
  const [first = '', ...rest] = lines;
  process.stdout.write(`${stamp()}  ${who.padEnd(22)} ${first}\n`);
  for (const line of rest) process.stdout.write(`${' '.repeat(30)}${line}\n`);
};

function watch(slack: SlackSimulator, names: Names): void {
  slack.onActivity = (activity) => {
    if (activity.kind === 'posted' || activity.kind === 'updated') {
      const { message } = activity;
      const channel = slack.workspace.channels.get(message.channel);
      const where = channel?.isIm
        ? `DM to @${names.user([...channel.members][0] ?? '')}`
        : `${message.threadTs ? 'thread in ' : ''}#${channel?.name ?? message.channel}`;
      const lines = blocksAsLines(message.blocks, names);
      if (activity.kind === 'posted') {
        print(`Slack ${where}`, lines);
        return;
      }
      // An update shows only the lines it changed; the rest of the message was printed before.
      const before = new Set(blocksAsLines(message.history.at(-1)?.blocks ?? [], names));
      const changed = lines.filter((line) => !before.has(line));
      if (changed.length > 0) print(`Slack ${where}`, ['(updated)', ...changed]);
    } else if (activity.kind === 'ephemeral') {
      print(`Slack (only @${names.user(activity.user)})`, [readableMrkdwn(activity.text, names)]);
    } else if (activity.kind === 'modal_opened') {
      print(`Slack modal @${names.user(activity.view.user)}`, blocksAsLines((activity.view.definition.blocks as unknown[]) ?? [], names));
    }
  };
}

async function waitFor(world: World, what: string, probe: () => boolean, timeoutMs = TIMEOUT_MS): Promise<void> {
  await world.slack.waitFor(() => probe(), timeoutMs, what);
}

/** A Boundary call as one line: the method, the path, a list's filter, the status. */
function boundaryLine(record: BoundaryRequestRecord): string {
  const filter = record.query.get('filter');
  return `${record.method} ${record.path}${filter ? ` filter ${filter}` : ''} → ${record.status}`;
}

/** A PagerDuty call as one line: the method, the path, its query, the status. */
function pagerDutyLine(record: PagerDutyRequestRecord): string {
  const query = decodeURIComponent(record.query.toString());
  return `${record.method} ${record.path}${query ? `?${query}` : ''} → ${record.status}`;
}

/** A ServiceNow call as one line: the method, the path, the state and close code it sets, the status. */
function serviceNowLine(record: ServiceNowRequestRecord): string {
  const body = (record.body ?? {}) as { state?: unknown; close_code?: unknown };
  const state = body.state === undefined ? undefined : String(body.state);
  const sets = [state !== undefined && `state ${STATE_LABELS[state] ?? state}`, body.close_code && `close_code ${String(body.close_code)}`]
    .filter(Boolean)
    .join(', ');
  return `${record.method} ${record.path}${sets ? ` (${sets})` : ''} → ${record.status}`;
}

/** Sam, signed in to Boundary through Entra (OIDC) before the grant, with a session open. */
function seedBoundary(boundary: BoundarySimulator) {
  const user = boundary.addUser({ name: 'sam.sre' });
  const account = boundary.addAccount(user.id, { subject: PEOPLE.requester.entra, email: PEOPLE.requester.email });
  const token = boundary.signIn(account.id);
  const session = boundary.addSession(user.id, { authTokenId: token.id });
  return { user, token, session };
}

/** Sam, on call at the first level for the staging schedule, as PagerDuty knows him (by his email). */
function seedPagerDuty(pagerDuty: PagerDutySimulator): void {
  pagerDuty.addSchedule(ON_CALL_SCHEDULE);
  pagerDuty.addEscalationPolicy({ id: 'PDEMOEP1', name: 'Staging' });
  const sam = pagerDuty.addUser({ name: 'Sam SRE', email: PEOPLE.requester.email });
  pagerDuty.putOnCall({ userId: sam.id, escalationPolicyId: 'PDEMOEP1', scheduleId: ON_CALL_SCHEDULE.id });
}

const heading = (title: string) => process.stdout.write(`\n── ${title} ──\n`);
const hasAction = (message: SimMessage, actionId: string) => JSON.stringify(message.blocks).includes(`"action_id":"${actionId}"`);

interface Cast {
  world: World;
  servicenow: ServiceNowSimulator;
  names: Names;
}

/** Request 1: Sam asks, Maria approves, the bot grants and opens a ServiceNow change shown on the card. */
async function approvedRequest({ world, servicenow, names }: Cast): Promise<SimMessage> {
  const { slack } = world;
  const sam = slack.person(PEOPLE.requester.slack);
  const maria = slack.person(PEOPLE.approver1.slack);
  print(`@${names.user(sam.id)} types`, ['/jit staging-db']);
  await sam.slash('/jit', 'staging-db');
  await sam.waitForModal();
  const reason = 'Apply the schema migration for TICKET-1234 <!channel>';
  print(`@${names.user(sam.id)} submits`, [`reason “${reason}”, duration ${formatDuration(DURATION_MINUTES)}`]);
  await sam.submit({ reason });

  const card = await slack.waitFor(() => maria.channel(APPROVALS)[0], 10_000, 'the approval card');
  print(`@${names.user(maria.id)} clicks`, ['[Approve]']);
  await maria.click('jit_approve', { message: card });
  await waitFor(world, 'the grant', () => world.graph.isMember(MEMBER_GROUP, PEOPLE.requester.entra));
  print('Entra', [`@${names.user(sam.id)} is now a member of the group behind “Staging database” (Boundary: Staging DB - Boundary)`]);
  const change = await slack.waitFor(() => servicenow.changes[0], SOON_MS, 'the ServiceNow change to be opened');
  await waitFor(
    world,
    `the card to show change ${change.number} in Implement`,
    () => JSON.stringify(card.blocks).includes(`${change.number} · Implement`),
    SOON_MS,
  );
  return card;
}

/**
 * Request 2, once request 1 is over (its end signs Sam out of Boundary, and so would this one's): Sam, on call,
 * asks for the logs; PagerDuty's answer approves it at once, and Li revokes it from the card.
 */
async function onCallRequest({ world, names }: Cast, firstCard: SimMessage): Promise<void> {
  const { slack } = world;
  const sam = slack.person(PEOPLE.requester.slack);
  const li = slack.person(PEOPLE.approver2.slack);
  heading(`Later @${names.user(sam.id)} is paged: on call for “${ON_CALL_SCHEDULE.name}”, he asks for the logs`);
  print(`@${names.user(sam.id)} types`, ['/jit staging-logs']);
  await sam.slash('/jit', 'staging-logs');
  await sam.waitForModal();
  const reason = 'Paged for the staging error rate: reading the logs';
  print(`@${names.user(sam.id)} submits`, [`reason “${reason}”, duration 15m`]);
  await sam.submit({ reason });

  const card = await slack.waitFor(
    () => li.channel(APPROVALS).find((message) => message !== firstCard),
    10_000,
    'the on-call request’s card',
  );
  await waitFor(
    world,
    'the on-call grant, with no approver asked (is the requester on call in PagerDuty?)',
    () => world.graph.isMember(LOGS_GROUP, PEOPLE.requester.entra),
    SOON_MS,
  );
  print('Entra', [`@${names.user(sam.id)} is now a member of the group behind “Staging logs”, approved by no person`]);
  const why = `Approved at once by PagerDuty on-call (schedule ${ON_CALL_SCHEDULE.id})`;
  await waitFor(
    world,
    `the card to say “${why}” and offer Revoke`,
    () => card.text.endsWith('active') && JSON.stringify(card.blocks).includes(why) && hasAction(card, 'jit_revoke'),
    SOON_MS,
  );
  print(`@${names.user(li.id)} clicks`, ['[Revoke] and confirms']);
  await li.click('jit_revoke', { message: card });
  await waitFor(world, 'the on-call grant to be revoked', () => !world.graph.isMember(LOGS_GROUP, PEOPLE.requester.entra), SOON_MS);
  print('Entra', [`@${names.user(sam.id)} is no longer a member of the group behind “Staging logs”: revoked by @${names.user(li.id)}`]);
  await waitFor(world, 'the on-call card to show the end', () => card.text.endsWith('ended'), SOON_MS);
  await world.bot.scheduler.idle();
}

/** Request 1 goes on: warned, extended by a minute, expired and revoked; Boundary and the change follow. */
async function extendAndExpire({ world, servicenow, names }: Cast, card: SimMessage, boundary: BoundarySimulator, signedIn: SignedIn) {
  const { slack } = world;
  const sam = slack.person(PEOPLE.requester.slack);
  const maria = slack.person(PEOPLE.approver1.slack);
  heading(`The access nears its end: @${names.user(sam.id)} extends it once, then it expires`);
  const warning = await slack.waitFor(
    () => sam.dms().find((message) => hasAction(message, 'jit_extend')),
    TIMEOUT_MS,
    'the expiry warning',
  );
  print(`@${names.user(sam.id)} clicks`, ['[Extend]']);
  await sam.click('jit_extend', { message: warning });
  await sam.waitForModal();
  const why = 'The migration needs one more minute';
  print(`@${names.user(sam.id)} submits`, [`${formatDuration(EXTENSION_MINUTES)} more, “${why}”`]);
  await sam.submit({ extension_minutes: String(EXTENSION_MINUTES), reason: why });
  const ask = await slack.waitFor(
    () => maria.thread(card).find((message) => hasAction(message, 'jit_extension_approve')),
    10_000,
    'the extension in the thread',
  );
  print(`@${names.user(maria.id)} clicks`, ['[Approve extension]']);
  await maria.click('jit_extension_approve', { message: ask });
  await waitFor(world, 'the extension', () => ask.text.includes('extended'));

  await waitFor(world, 'the revocation', () => !world.graph.isMember(MEMBER_GROUP, PEOPLE.requester.entra));
  print('Entra', [`@${names.user(sam.id)} is no longer a member: access revoked on time`]);
  await waitFor(world, 'the card to show the end', () => card.text.endsWith('ended'));
  const checklist = () => maria.thread(card).some((message) => JSON.stringify(message.blocks).includes('(verified)'));
  await waitFor(world, 'the Boundary checklist', checklist);

  await waitFor(world, 'the ServiceNow change to be closed', () => servicenow.changes[0]?.state === '3');
  const change = servicenow.changes[0];
  if (!change) throw new Error('the ServiceNow change is gone');
  await waitFor(world, `the card to show change ${change.number} closed`, () =>
    JSON.stringify(card.blocks).includes(`${change.number} · Closed`),
  );
  await waitFor(world, 'the change’s close in the thread', () =>
    maria.thread(card).some((message) => message.text.includes(`${change.number}`) && message.text.includes('is closed')),
  );
  await world.bot.scheduler.idle();
  if (change.close_code !== 'successful') throw new Error(`change ${change.number} closed as ${change.close_code}, not successful`);
  if (servicenow.changes.length !== 1) throw new Error(`${servicenow.changes.length} changes opened, not one`);
  print('ServiceNow', [`${change.number} is Closed with close code ${change.close_code}: ${change.close_notes.split('\n')[0] ?? ''}`]);
  print('Boundary', [
    `@sam.sre has ${boundary.tokensOf(signedIn.user.id).length} auth tokens left; session ${signedIn.session.id} is ${boundary.sessionStatus(signedIn.session.id)}`,
  ]);
}

type SignedIn = ReturnType<typeof seedBoundary>;

function printAuditTrail(world: World, names: Names): void {
  process.stdout.write('\nAudit trail (append-only, hash-chained):\n');
  const trail = sqliteOf(world.bot)
    .prepare('SELECT seq, at, actor, action, state_before, state_after, hash FROM audit_events ORDER BY seq')
    .all() as {
    seq: number;
    at: number;
    actor: string;
    action: string;
    state_before: string | null;
    state_after: string;
    hash: string;
  }[];
  for (const event of trail) {
    const actor = event.actor === 'system' ? 'bot' : event.actor.startsWith('U') ? `@${names.user(event.actor)}` : event.actor;
    process.stdout.write(
      `  ${event.seq}. ${new Date(event.at).toISOString()}  ${actor.padEnd(16)} ${event.action.padEnd(14)} ${event.state_before ?? '-'} → ${event.state_after}  ${event.hash.slice(0, 12)}…\n`,
    );
  }
}

async function demo(): Promise<void> {
  const slack = new SlackSimulator({ scopes: manifestBotScopes() });
  const names: Names = {
    user: (id) => slack.workspace.users.get(id)?.name ?? id,
    channel: (id) => slack.workspace.channels.get(id)?.name ?? id,
  };
  watch(slack, names);
  process.stdout.write(
    `jit-access-bot demo: the real bot against local Slack, Graph, Boundary, ServiceNow and PagerDuty simulators (about ${DURATION_MINUTES + EXTENSION_MINUTES + 1} minutes)\n\n`,
  );
  // Stopped last to first however the demo ends: the bot before the services it talks to.
  const running: { stop(): Promise<void> }[] = [];
  try {
    const boundary = await BoundarySimulator.start();
    running.push(boundary);
    const servicenow = await ServiceNowSimulator.start();
    running.push(servicenow);
    const pagerDuty = await PagerDutySimulator.start();
    running.push(pagerDuty);
    const signedIn = seedBoundary(boundary);
    print('Boundary', [
      `@sam.sre is signed in (auth token ${signedIn.token.id}) with session ${signedIn.session.id} ${boundary.sessionStatus(signedIn.session.id)}`,
    ]);
    seedPagerDuty(pagerDuty);
    print('PagerDuty', [`@sam.sre is on call, level 1, for schedule ${ON_CALL_SCHEDULE.id} “${ON_CALL_SCHEDULE.name}”`]);

    const world = await startWorld({ policy: DEMO_POLICY, slack, boundary, servicenow, pagerDuty });
    running.push(world);
    world.graph.addGroup({ id: LOGS_GROUP, displayName: 'Staging logs readers' });
    boundary.onRequest = (record) => print('Boundary', [boundaryLine(record)]);
    servicenow.onRequest = (record) => print('ServiceNow', [serviceNowLine(record)]);
    pagerDuty.onRequest = (record) => print('PagerDuty', [pagerDutyLine(record)]);
    world.graph.onRequest = (record) => {
      if (record.path.includes('/oauth2/') || record.path.includes('.well-known')) {
        print('Graph sign-in', [`${record.method} ${record.path} → ${record.status}`]);
        return;
      }
      const body = record.body as { action?: string } | undefined;
      print('Graph', [`${record.method} ${record.path}${record.query} → ${record.status}${body?.action ? ` (${body.action})` : ''}`]);
    };

    const cast = { world, servicenow, names };
    heading('@sam.sre asks for the staging database; an approver decides');
    const card = await approvedRequest(cast);
    await extendAndExpire(cast, card, boundary, signedIn);
    await onCallRequest(cast, card);
    printAuditTrail(world, names);
    if (slack.violations.length > 0) throw new Error(`Slack rules broken: ${slack.violations.join('; ')}`);
    process.stdout.write(
      '\nDemo finished: the staging database was granted, warned about, extended, expired and revoked, in Entra and in Boundary, its ServiceNow change opened and closed as successful; then the on-call request was approved at once by PagerDuty and revoked from its card.\n',
    );
  } finally {
    // A service that fails to stop must not hide why the demo failed.
    for (const service of running.reverse()) {
      await service.stop().catch((error: unknown) => process.stderr.write(`stopping a simulator failed: ${String(error)}\n`));
    }
  }
}

void runTrustingSimulatorCa(fileURLToPath(import.meta.url), async () => {
  try {
    await demo();
  } catch (error) {
    throw new Error(`Demo failed: ${error instanceof Error ? error.message : String(error)}`);
  }
});
