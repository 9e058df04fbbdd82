// npm run demo — the whole flow offline: the real bot against the bundled Slack, Graph and Boundary simulators.
// A request is made, approved, granted, warned about, extended by a minute (asked from the warning, approved in
// the card's thread), expired and revoked, and the person's Boundary sign-in and session are ended with it; printed as a transcript of what each person sees in Slack, each Graph and
// Boundary call, and the audit trail. Exits 0 once the access is revoked in both.

import { fileURLToPath } from 'node:url';
import { type BoundaryRequestRecord, BoundarySimulator } from '../simulators/boundary/boundary-simulator.js';
import { APPROVALS, MEMBER_GROUP } from '../simulators/policies.js';
import { PEOPLE, sqliteOf, startWorld, type World } from '../simulators/sandbox.js';
import { manifestBotScopes } from '../simulators/slack/manifest-scopes.js';
import { SlackSimulator } from '../simulators/slack/slack-simulator.js';
import { runTrustingSimulatorCa } from '../simulators/trust-simulator-ca.js';
import { formatDuration } from '../src/domain/duration.js';
import { blocksAsLines, type Names, readableMrkdwn } from './transcript.js';

const DURATION_MINUTES = 2;
const EXTENSION_MINUTES = 1;
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
`;
const TIMEOUT_MS = (DURATION_MINUTES + EXTENSION_MINUTES + 2) * 60_000;

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
      // An update changes the status line; the rest of the message was printed when it was posted.
      const shown =
        activity.kind === 'updated'
          ? message.blocks.filter((block) => (block as { block_id?: string }).block_id === 'status')
          : message.blocks;
      print(`Slack ${where}`, [activity.kind === 'updated' ? '(updated)' : '', ...blocksAsLines(shown, names)].filter(Boolean));
    } else if (activity.kind === 'ephemeral') {
      print(`Slack (only @${names.user(activity.user)})`, [readableMrkdwn(activity.text, names)]);
    } else if (activity.kind === 'modal_opened') {
      print(`Slack modal @${names.user(activity.view.user)}`, blocksAsLines((activity.view.definition.blocks as unknown[]) ?? [], names));
    }
  };
}

async function waitFor(world: World, what: string, probe: () => boolean): Promise<void> {
  await world.slack.waitFor(() => probe(), TIMEOUT_MS, what);
}

/** A Boundary call as one line: the method, the path, a list's filter, the status. */
function boundaryLine(record: BoundaryRequestRecord): string {
  const filter = record.query.get('filter');
  return `${record.method} ${record.path}${filter ? ` filter ${filter}` : ''} → ${record.status}`;
}

/** Sam, signed in to Boundary through Entra (OIDC) before the grant, with a session open. */
function seedBoundary(boundary: BoundarySimulator) {
  const user = boundary.addUser({ name: 'sam.sre' });
  const account = boundary.addAccount(user.id, { subject: PEOPLE.requester.entra, email: PEOPLE.requester.email });
  const token = boundary.signIn(account.id);
  const session = boundary.addSession(user.id, { authTokenId: token.id });
  return { user, token, session };
}

async function demo(): Promise<void> {
  const slack = new SlackSimulator({ scopes: manifestBotScopes() });
  const names: Names = {
    user: (id) => slack.workspace.users.get(id)?.name ?? id,
    channel: (id) => slack.workspace.channels.get(id)?.name ?? id,
  };
  watch(slack, names);
  process.stdout.write(
    `jit-access-bot demo: the real bot against local Slack, Graph and Boundary simulators (about ${DURATION_MINUTES + EXTENSION_MINUTES + 1} minutes)\n\n`,
  );
  const boundary = await BoundarySimulator.start();
  const signedIn = seedBoundary(boundary);
  print('Boundary', [
    `@sam.sre is signed in (auth token ${signedIn.token.id}) with session ${signedIn.session.id} ${boundary.sessionStatus(signedIn.session.id)}`,
  ]);
  const world = await startWorld({ policy: DEMO_POLICY, slack, boundary }).catch(async (error: unknown) => {
    await boundary.stop();
    throw error;
  });
  boundary.onRequest = (record) => print('Boundary', [boundaryLine(record)]);
  world.graph.onRequest = (record) => {
    if (record.path.includes('/oauth2/') || record.path.includes('.well-known')) {
      print('Graph sign-in', [`${record.method} ${record.path} → ${record.status}`]);
      return;
    }
    const body = record.body as { action?: string } | undefined;
    print('Graph', [`${record.method} ${record.path}${record.query} → ${record.status}${body?.action ? ` (${body.action})` : ''}`]);
  };
  try {
    const sam = slack.person(PEOPLE.requester.slack);
    const maria = slack.person(PEOPLE.approver1.slack);
    print(`@${names.user(sam.id)} types`, ['/jit']);
    await sam.slash('/jit');
    await sam.waitForModal();
    const reason = 'Apply the schema migration for TICKET-1234 <!channel>';
    print(`@${names.user(sam.id)} submits`, [`reason “${reason}”, duration ${formatDuration(DURATION_MINUTES)}`]);
    await sam.submit({ reason });

    const card = await slack.waitFor(() => maria.channel(APPROVALS)[0], 10_000, 'the approval card');
    print(`@${names.user(maria.id)} clicks`, ['[Approve]']);
    await maria.click('jit_approve', { message: card });
    await waitFor(world, 'the grant', () => world.graph.isMember(MEMBER_GROUP, PEOPLE.requester.entra));
    print('Entra', [`@${names.user(sam.id)} is now a member of the group behind “Staging database” (Boundary: Staging DB - Boundary)`]);

    const warning = await slack.waitFor(
      () => sam.dms().find((message) => JSON.stringify(message.blocks).includes('jit_extend')),
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
      () => maria.thread(card).find((message) => JSON.stringify(message.blocks).includes('jit_extension_approve')),
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
    await world.bot.scheduler.idle();
    print('Boundary', [
      `@sam.sre has ${boundary.tokensOf(signedIn.user.id).length} auth tokens left; session ${signedIn.session.id} is ${boundary.sessionStatus(signedIn.session.id)}`,
    ]);

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
      const actor = event.actor === 'system' ? 'bot' : `@${names.user(event.actor)}`;
      process.stdout.write(
        `  ${event.seq}. ${new Date(event.at).toISOString()}  ${actor.padEnd(16)} ${event.action.padEnd(14)} ${event.state_before ?? '-'} → ${event.state_after}  ${event.hash.slice(0, 12)}…\n`,
      );
    }
    if (slack.violations.length > 0) throw new Error(`Slack rules broken: ${slack.violations.join('; ')}`);
    process.stdout.write(
      '\nDemo finished: the access was granted, warned about, extended, expired and revoked, in Entra and in Boundary.\n',
    );
  } finally {
    await world.stop();
    await boundary.stop();
  }
}

void runTrustingSimulatorCa(fileURLToPath(import.meta.url), async () => {
  try {
    await demo();
  } catch (error) {
    throw new Error(`Demo failed: ${error instanceof Error ? error.message : String(error)}`);
  }
});
