import { WebClient } from '@slack/web-api';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { SlackSimulator } from '../../../simulators/slack/slack-simulator.js';

let sim: SlackSimulator;
let clock: number;
let bot: WebClient;

const USER = 'U0SRE0001';
const CHANNEL = 'C0APPROVALS';
const section = (text: string) => ({ type: 'section', text: { type: 'mrkdwn', text } });
const button = (overrides: Record<string, unknown> = {}) => ({
  type: 'actions',
  elements: [{ type: 'button', action_id: 'go', text: { type: 'plain_text', text: 'Go' }, value: 'v', ...overrides }],
});
const modal = (overrides: Record<string, unknown> = {}) => ({
  type: 'modal',
  title: { type: 'plain_text', text: 'Request access' },
  blocks: [section('hi')],
  ...overrides,
});

async function slackError(call: Promise<unknown>): Promise<unknown> {
  try {
    await call;
  } catch (error) {
    const failure = error as { code: string; data?: { error?: string; needed?: string }; retryAfter?: number };
    return {
      code: failure.code,
      error: failure.data?.error,
      ...(failure.data?.needed && { needed: failure.data.needed }),
      ...(failure.retryAfter !== undefined && { retryAfter: failure.retryAfter }),
    };
  }
  throw new Error('the call succeeded');
}

beforeEach(async () => {
  clock = Date.UTC(2026, 10, 21, 9);
  sim = new SlackSimulator({ now: () => clock, ackTimeoutMs: 150 });
  sim.addUser({ id: USER, name: 'sam', email: 'sam.o+jit@example.com' });
  sim.addChannel({ id: CHANNEL, name: 'approvals', members: [USER] });
  sim.addChannel({ id: 'C0PRIVATE1', name: 'secret', members: [USER], isPrivate: true, botIsMember: false });
  await sim.start();
  bot = new WebClient(sim.botToken, { slackApiUrl: sim.apiUrl, retryConfig: { retries: 0 }, rejectRateLimitedCalls: true });
});

afterEach(async () => {
  await sim.stop();
});

describe('Slack limits', () => {
  it.each([
    ['51 blocks in a message', { blocks: Array.from({ length: 51 }, () => section('x')) }, 'blocks has 51 items; the limit is 50'],
    [
      'a section text over 3000 characters',
      { blocks: [section('x'.repeat(3001))] },
      'blocks[0].text is 3001 characters; the limit is 3000',
    ],
    [
      'a button value over 2000 characters',
      { blocks: [button({ value: 'v'.repeat(2001) })] },
      'blocks[0].elements[0].value is 2001 characters; the limit is 2000',
    ],
    [
      'a button text over 75 characters',
      { blocks: [button({ text: { type: 'plain_text', text: 'b'.repeat(76) } })] },
      'blocks[0].elements[0].text is 76 characters; the limit is 75',
    ],
    [
      'a header over 150 characters',
      { blocks: [{ type: 'header', text: { type: 'plain_text', text: 'h'.repeat(151) } }] },
      'blocks[0].text is 151 characters; the limit is 150',
    ],
    [
      'eleven section fields',
      { blocks: [{ type: 'section', fields: Array.from({ length: 11 }, () => ({ type: 'mrkdwn', text: 'f' })) }] },
      'blocks[0].fields has 11 items; the limit is 10',
    ],
    [
      'a block_id used twice',
      {
        blocks: [
          { ...section('a'), block_id: 'same' },
          { ...section('b'), block_id: 'same' },
        ],
      },
      'blocks[1].block_id "same" is used twice',
    ],
  ])('refuses a message with %s, and records it', async (_name, content, problem) => {
    expect(await slackError(bot.chat.postMessage({ channel: CHANNEL, text: 'fallback', ...content } as never))).toEqual({
      code: 'slack_webapi_platform_error',
      error: 'invalid_blocks',
    });
    expect(sim.violations).toEqual([`chat.postMessage: ${problem}`]);
    expect(sim.workspace.messages).toHaveLength(0);
  });

  it('accepts a message of exactly 50 blocks and a Home tab of exactly 100', async () => {
    await bot.chat.postMessage({ channel: CHANNEL, text: 'fallback', blocks: Array.from({ length: 50 }, () => section('x')) });
    await bot.views.publish({ user_id: USER, view: { type: 'home', blocks: Array.from({ length: 100 }, () => section('x')) } as never });
    expect(sim.violations).toEqual([]);
  });

  it.each([
    [
      'a modal title over 24 characters',
      modal({ title: { type: 'plain_text', text: 'A title that is too long!' } }),
      'view.title is 25 characters; the limit is 24',
    ],
    [
      'private_metadata over 3000 characters',
      modal({ private_metadata: 'm'.repeat(3001) }),
      'view.private_metadata is 3001 characters; the limit is 3000',
    ],
    ['101 blocks in a modal', modal({ blocks: Array.from({ length: 101 }, () => section('x')) }), 'blocks has 101 items; the limit is 100'],
    [
      'an input without a submit button',
      modal({
        blocks: [
          { type: 'input', block_id: 'r', label: { type: 'plain_text', text: 'R' }, element: { type: 'plain_text_input', action_id: 'v' } },
        ],
      }),
      'view.submit is required when the view has an input block',
    ],
    [
      'a select with 101 options',
      modal({
        submit: { type: 'plain_text', text: 'Go' },
        blocks: [
          {
            type: 'input',
            block_id: 's',
            label: { type: 'plain_text', text: 'S' },
            element: {
              type: 'static_select',
              action_id: 'v',
              options: Array.from({ length: 101 }, (_, i) => ({ text: { type: 'plain_text', text: `o${i}` }, value: `o${i}` })),
            },
          },
        ],
      }),
      'blocks[0].element.options has 101 items; the limit is 100',
    ],
  ])('refuses a view with %s, and records it', async (_name, view, problem) => {
    const trigger = sim.issueTrigger(USER);
    expect(await slackError(bot.views.open({ trigger_id: trigger, view: view as never }))).toEqual({
      code: 'slack_webapi_platform_error',
      error: 'invalid_arguments',
    });
    expect(sim.violations).toEqual([`views.open: ${problem}`]);
  });

  it('lets a trigger id open one view within 3 seconds, and only one', async () => {
    const fresh = sim.issueTrigger(USER);
    await bot.views.open({ trigger_id: fresh, view: modal() as never });
    expect(await slackError(bot.views.open({ trigger_id: fresh, view: modal() as never }))).toMatchObject({
      error: 'exchanged_trigger_id',
    });

    const stale = sim.issueTrigger(USER);
    clock += 3001;
    expect(await slackError(bot.views.open({ trigger_id: stale, view: modal() as never }))).toMatchObject({ error: 'expired_trigger_id' });
    expect(await slackError(bot.views.open({ trigger_id: 'made-up', view: modal() as never }))).toMatchObject({
      error: 'invalid_trigger_id',
    });
    expect(sim.violations).toEqual([
      'views.open: trigger_id used twice',
      'views.open: trigger_id used 3001 ms after it was issued (limit 3000 ms)',
      'views.open: unknown trigger_id',
    ]);
  });

  it('records blocks sent without a text fallback', async () => {
    await bot.chat.postMessage({ channel: CHANNEL, blocks: [section('x')] });
    expect(sim.violations).toEqual([
      'chat.postMessage: blocks sent without a top-level text fallback (notifications and screen readers show nothing)',
    ]);
  });
});

describe('Slack error answers', () => {
  it('refuses unknown tokens and the wrong kind of token', async () => {
    const stranger = new WebClient('xoxb-not-ours', { slackApiUrl: sim.apiUrl, retryConfig: { retries: 0 } });
    expect(await slackError(stranger.auth.test())).toMatchObject({ error: 'invalid_auth' });
    expect(await slackError(bot.apps.connections.open())).toMatchObject({ error: 'not_allowed_token_type' });
    const app = new WebClient(sim.appToken, { slackApiUrl: sim.apiUrl, retryConfig: { retries: 0 } });
    expect(await slackError(app.chat.postMessage({ channel: CHANNEL, text: 'x' }))).toMatchObject({ error: 'not_allowed_token_type' });
    expect(await app.apps.connections.open()).toMatchObject({
      ok: true,
      url: expect.stringMatching(/^ws:\/\/127\.0\.0\.1:\d+\/link\/\?ticket=/),
    });
  });

  it('answers channel_not_found, not_in_channel, thread_not_found, no_text and user_not_in_channel', async () => {
    expect(await slackError(bot.chat.postMessage({ channel: 'C0NOWHERE1', text: 'x' }))).toMatchObject({ error: 'channel_not_found' });
    expect(await slackError(bot.chat.postMessage({ channel: 'C0PRIVATE1', text: 'x' }))).toMatchObject({ error: 'not_in_channel' });
    expect(await slackError(bot.chat.postMessage({ channel: CHANNEL, text: 'x', thread_ts: '1.000001' }))).toMatchObject({
      error: 'thread_not_found',
    });
    expect(await slackError(bot.chat.postMessage({ channel: CHANNEL } as never))).toMatchObject({ error: 'no_text' });
    sim.addUser({ id: 'U0OUTSIDE1', name: 'olga' });
    expect(await slackError(bot.chat.postEphemeral({ channel: CHANNEL, user: 'U0OUTSIDE1', text: 'x' }))).toMatchObject({
      error: 'user_not_in_channel',
    });
  });

  it('updates only its own messages, and only ones that exist', async () => {
    sim.workspace.messages.push({ channel: CHANNEL, ts: '1763715600.000001', user: USER, text: 'mine', blocks: [], history: [] });
    expect(await slackError(bot.chat.update({ channel: CHANNEL, ts: '1763715600.000001', text: 'edit' }))).toMatchObject({
      error: 'cant_update_message',
    });
    expect(await slackError(bot.chat.update({ channel: CHANNEL, ts: '1763715600.999999', text: 'edit' }))).toMatchObject({
      error: 'message_not_found',
    });
    const posted = await bot.chat.postMessage({ channel: CHANNEL, text: 'v1' });
    await bot.chat.update({ channel: CHANNEL, ts: posted.ts as string, text: 'v2' });
    expect(sim.workspace.findMessage(CHANNEL, posted.ts as string)).toMatchObject({ text: 'v2', history: [{ text: 'v1' }] });
  });

  it('posts to a user id as a direct message, and opens that DM with conversations.open', async () => {
    const posted = await bot.chat.postMessage({ channel: USER, text: 'hello' });
    const opened = await bot.conversations.open({ users: USER });
    expect(opened.channel?.id).toBe(posted.channel);
    expect(
      sim
        .person(USER)
        .dms()
        .map((message) => message.text),
    ).toEqual(['hello']);
  });

  it('finds people by email and shows the email only with users:read.email', async () => {
    expect(await bot.users.lookupByEmail({ email: 'SAM.O+jit@example.com' })).toMatchObject({
      user: { id: USER, profile: { email: 'sam.o+jit@example.com' } },
    });
    expect(await slackError(bot.users.lookupByEmail({ email: 'nobody@example.com' }))).toMatchObject({ error: 'users_not_found' });
    expect(await slackError(bot.users.info({ user: 'U0NOBODY01' }))).toMatchObject({ error: 'user_not_found' });

    sim.scopes = ['commands', 'chat:write', 'users:read', 'im:write'];
    expect((await bot.users.info({ user: USER })).user?.profile).not.toHaveProperty('email');
    expect(await slackError(bot.users.lookupByEmail({ email: 'sam.o+jit@example.com' }))).toMatchObject({
      error: 'missing_scope',
      needed: 'users:read.email',
    });
  });

  it('refuses a stale view hash on views.update', async () => {
    const opened = await bot.views.open({ trigger_id: sim.issueTrigger(USER), view: modal() as never });
    const id = opened.view?.id as string;
    await bot.views.update({ view_id: id, hash: opened.view?.hash as string, view: modal({ blocks: [section('v2')] }) as never });
    expect(await slackError(bot.views.update({ view_id: id, hash: opened.view?.hash as string, view: modal() as never }))).toMatchObject({
      error: 'hash_conflict',
    });
  });
});

describe('Slack fault injection', () => {
  it('answers 429 with Retry-After', async () => {
    sim.faults.add({ route: 'chat.postMessage', status: 429, retryAfterSeconds: 7 });
    expect(await slackError(bot.chat.postMessage({ channel: CHANNEL, text: 'x' }))).toEqual({
      code: 'slack_webapi_rate_limited_error',
      error: undefined,
      retryAfter: 7,
    });
    await bot.chat.postMessage({ channel: CHANNEL, text: 'x' });
  });

  it('answers a 5xx, and drops a connection', async () => {
    sim.faults.add({ route: 'users.info', status: 503 });
    expect(await slackError(bot.users.info({ user: USER }))).toMatchObject({ code: 'slack_webapi_http_error' });
    sim.faults.add({ route: 'users.info', drop: true });
    expect(await slackError(bot.users.info({ user: USER }))).toMatchObject({ code: 'slack_webapi_request_error' });
    expect((await bot.users.info({ user: USER })).ok).toBe(true);
  });

  it('answers one of Slack’s own refusals by its code, once', async () => {
    sim.faults.add({ route: 'views.publish', error: { code: 'not_enabled', message: 'App Home is off' } });
    const home = { type: 'home', blocks: [section('hi')] } as never;
    expect(await slackError(bot.views.publish({ user_id: USER, view: home }))).toEqual({
      code: 'slack_webapi_platform_error',
      error: 'not_enabled',
    });
    expect((await bot.views.publish({ user_id: USER, view: home })).ok).toBe(true);
  });

  it('delays a call by the injected latency', async () => {
    sim.faults.add({ route: 'auth.test', latencyMs: 300 });
    const started = Date.now();
    await bot.auth.test();
    expect(Date.now() - started).toBeGreaterThanOrEqual(290);
  });
});

describe('Socket Mode', () => {
  async function connect(): Promise<{ ws: WebSocket; frames: Record<string, unknown>[] }> {
    const app = new WebClient(sim.appToken, { slackApiUrl: sim.apiUrl, retryConfig: { retries: 0 } });
    const { url } = await app.apps.connections.open();
    const ws = new WebSocket(url as string);
    const frames: Record<string, unknown>[] = [];
    ws.on('message', (data) => frames.push(JSON.parse(String(data)) as Record<string, unknown>));
    await sim.waitFor(() => frames.length > 0, 2000, 'hello');
    return { ws, frames };
  }

  it('says hello, and accepts each connection URL once', async () => {
    const { ws, frames } = await connect();
    expect(frames[0]).toMatchObject({ type: 'hello', num_connections: 1, connection_info: { app_id: sim.appId } });
    const again = new WebSocket(ws.url);
    const refused = await new Promise<string>((resolve) =>
      again.on('unexpected-response', (_request, response) => resolve(String(response.statusCode))),
    );
    expect(refused).toBe('401');
  });

  it('records inline errors keyed to a block that is not an input', async () => {
    const { ws } = await connect();
    ws.on('message', (data) => {
      const frame = JSON.parse(String(data)) as { envelope_id?: string };
      if (frame.envelope_id)
        ws.send(JSON.stringify({ envelope_id: frame.envelope_id, payload: { response_action: 'errors', errors: { reasn: 'typo' } } }));
    });
    await bot.views.open({
      trigger_id: sim.issueTrigger(USER),
      view: modal({
        submit: { type: 'plain_text', text: 'Go' },
        blocks: [
          {
            type: 'input',
            block_id: 'reason',
            label: { type: 'plain_text', text: 'R' },
            element: { type: 'plain_text_input', action_id: 'v' },
          },
        ],
      }) as never,
    });
    const result = await sim.person(USER).submit({ reason: 'some reason' });
    expect(result.errors).toEqual({ reasn: 'typo' });
    expect(sim.violations).toEqual(['view_submission ack: errors key "reasn" is not the block_id of an input']);
  });

  it('redelivers an unacked Events API envelope with retry_attempt and retry_reason, then records it', async () => {
    const { frames } = await connect();
    const result = await sim.person(USER).openHome();
    expect(result).toEqual({ acked: false });
    const deliveries = frames.filter((frame) => frame.type === 'events_api');
    expect(deliveries.map((frame) => [frame.retry_attempt, frame.retry_reason])).toEqual([
      [0, ''],
      [1, 'timeout'],
      [2, 'timeout'],
      [3, 'timeout'],
    ]);
    expect(sim.violations).toEqual([`events_api: envelope ${deliveries[3]?.envelope_id} was not acknowledged within 150 ms`]);
  });

  it('never redelivers a slash command, and records the missing ack', async () => {
    const { frames } = await connect();
    expect(await sim.person(USER).slash('/jit')).toEqual({ acked: false });
    expect(frames.filter((frame) => frame.type === 'slash_commands')).toHaveLength(1);
    expect(sim.violations).toHaveLength(1);
  });

  it('returns the ack payload to the person', async () => {
    const { ws, frames } = await connect();
    ws.on('message', (data) => {
      const frame = JSON.parse(String(data)) as { envelope_id?: string };
      if (frame.envelope_id) ws.send(JSON.stringify({ envelope_id: frame.envelope_id, payload: { text: 'Try /jit help' } }));
    });
    expect(await sim.person(USER).slash('/jit', 'bogus')).toEqual({ acked: true, payload: { text: 'Try /jit help' } });
    expect(
      sim
        .person(USER)
        .ephemerals()
        .map((message) => message.text),
    ).toEqual(['Try /jit help']);
    expect(frames.find((frame) => frame.type === 'slash_commands')).toMatchObject({
      payload: { command: '/jit', text: 'bogus', user_id: USER },
    });
  });

  it('sends each envelope to exactly one of several connections', async () => {
    const connections = await Promise.all([connect(), connect()]);
    for (const { ws } of connections) {
      ws.on('message', (data) => {
        const frame = JSON.parse(String(data)) as { envelope_id?: string };
        if (frame.envelope_id) ws.send(JSON.stringify({ envelope_id: frame.envelope_id, payload: {} }));
      });
    }
    for (let index = 0; index < 4; index++) await sim.person(USER).slash('/jit');
    const counts = connections.map(({ frames }) => frames.filter((frame) => frame.type === 'slash_commands').length);
    expect(counts).toEqual([2, 2]);
  });

  it('turns away an eleventh connection with too_many_websockets', async () => {
    for (let index = 0; index < 10; index++) await connect();
    const { frames } = await connect();
    expect(frames[0]).toEqual({ type: 'disconnect', reason: 'too_many_websockets', debug_info: { host: 'sim' } });
    expect(sim.openConnections).toBe(10);
  });
});

describe('modal stacks and submission acks', () => {
  const input = (blockId: string) => ({
    type: 'input',
    block_id: blockId,
    label: { type: 'plain_text', text: 'R' },
    element: { type: 'plain_text_input', action_id: 'v' },
  });
  const form = (title: string) =>
    modal({ title: { type: 'plain_text', text: title }, submit: { type: 'plain_text', text: 'Next' }, blocks: [input('reason')] });

  async function answerSubmissionsWith(payload: Record<string, unknown>): Promise<void> {
    const app = new WebClient(sim.appToken, { slackApiUrl: sim.apiUrl, retryConfig: { retries: 0 } });
    const ws = new WebSocket((await app.apps.connections.open()).url as string);
    ws.on('message', (data) => {
      const frame = JSON.parse(String(data)) as { envelope_id?: string };
      if (frame.envelope_id) ws.send(JSON.stringify({ envelope_id: frame.envelope_id, payload }));
    });
    await sim.waitForConnection();
  }

  it('replaces the view on response_action update, keeping the stack', async () => {
    await answerSubmissionsWith({ response_action: 'update', view: form('Step two') });
    await bot.views.open({ trigger_id: sim.issueTrigger(USER), view: form('Step one') as never });
    await sim.person(USER).submit({ reason: 'first step done' });
    expect(sim.person(USER).modal?.definition.title).toEqual({ type: 'plain_text', text: 'Step two' });
    expect(sim.workspace.modalStacks.get(USER)).toHaveLength(1);
  });

  it('pushes on response_action push, up to three views, and records a fourth', async () => {
    await answerSubmissionsWith({ response_action: 'push', view: form('Pushed') });
    await bot.views.open({ trigger_id: sim.issueTrigger(USER), view: form('Root') as never });
    await sim.person(USER).submit({ reason: 'go deeper' });
    await sim.person(USER).submit({ reason: 'and deeper' });
    expect(sim.workspace.modalStacks.get(USER)).toHaveLength(3);
    expect(sim.violations).toEqual([]);
    await sim.person(USER).submit({ reason: 'one too many' });
    expect(sim.workspace.modalStacks.get(USER)).toHaveLength(3);
    expect(sim.violations).toEqual(['view_submission ack: push beyond the 3-view modal stack']);
  });

  it('closes every view on response_action clear, and the top one on a bare ack', async () => {
    await answerSubmissionsWith({ response_action: 'clear' });
    await bot.views.open({ trigger_id: sim.issueTrigger(USER), view: form('Root') as never });
    await bot.views.push({ trigger_id: sim.issueTrigger(USER), view: form('Second') as never });
    await sim.person(USER).submit({ reason: 'all done here' });
    expect(sim.person(USER).modal).toBeUndefined();
  });

  it('tells the app when a person closes a modal that asked to be notified', async () => {
    const app = new WebClient(sim.appToken, { slackApiUrl: sim.apiUrl, retryConfig: { retries: 0 } });
    const ws = new WebSocket((await app.apps.connections.open()).url as string);
    const frames: Record<string, unknown>[] = [];
    ws.on('message', (data) => {
      const frame = JSON.parse(String(data)) as Record<string, unknown>;
      frames.push(frame);
      if (frame.envelope_id) ws.send(JSON.stringify({ envelope_id: frame.envelope_id, payload: {} }));
    });
    await sim.waitForConnection();
    await bot.views.open({
      trigger_id: sim.issueTrigger(USER),
      view: { ...form('Deny'), callback_id: 'deny', notify_on_close: true } as never,
    });
    await sim.person(USER).close();
    expect(sim.person(USER).modal).toBeUndefined();
    expect(frames.find((frame) => frame.type === 'interactive')).toMatchObject({
      payload: { type: 'view_closed', user: { id: USER }, view: { callback_id: 'deny' } },
    });
  });

  it('refuses views.push with no modal open, and an oversized view in an ack', async () => {
    expect(await slackError(bot.views.push({ trigger_id: sim.issueTrigger(USER), view: form('Lonely') as never }))).toMatchObject({
      error: 'not_found',
    });
    await answerSubmissionsWith({ response_action: 'update', view: form('A title far beyond 24 chars') });
    await bot.views.open({ trigger_id: sim.issueTrigger(USER), view: form('Root') as never });
    await sim.person(USER).submit({ reason: 'make it too big' });
    expect(sim.violations).toEqual(['view_submission ack (update): view.title is 27 characters; the limit is 24']);
    expect(sim.person(USER).modal?.definition.title).toEqual({ type: 'plain_text', text: 'Root' });
  });
});

describe('more Block Kit limits', () => {
  it.each([
    [
      'eleven context elements',
      { type: 'context', elements: Array.from({ length: 11 }, () => ({ type: 'mrkdwn', text: 'c' })) },
      'blocks[0].elements has 11 items; the limit is 10',
    ],
    [
      'twenty-six actions',
      {
        type: 'actions',
        elements: Array.from({ length: 26 }, (_, i) => ({ type: 'button', action_id: `a${i}`, text: { type: 'plain_text', text: 'x' } })),
      },
      'blocks[0].elements has 26 items; the limit is 25',
    ],
    [
      'an action_id over 255 characters',
      { type: 'actions', elements: [{ type: 'button', action_id: 'a'.repeat(256), text: { type: 'plain_text', text: 'x' } }] },
      'blocks[0].elements[0].action_id is 256 characters; the limit is 255',
    ],
    [
      'an input block in a message',
      { type: 'input', block_id: 'i', label: { type: 'plain_text', text: 'L' }, element: { type: 'plain_text_input', action_id: 'v' } },
      'input blocks are not allowed in messages',
    ],
    ['an unknown block type', { type: 'carousel' }, 'blocks[0] has unknown type "carousel"'],
  ])('refuses %s', async (_name, block, problem) => {
    expect(await slackError(bot.chat.postMessage({ channel: CHANNEL, text: 'fallback', blocks: [block] } as never))).toMatchObject({
      error: 'invalid_blocks',
    });
    expect(sim.violations).toEqual([`chat.postMessage: ${problem}`]);
  });

  it('refuses an option text over 75 characters and a callback_id over 255', async () => {
    const select = {
      type: 'input',
      block_id: 's',
      label: { type: 'plain_text', text: 'S' },
      element: { type: 'static_select', action_id: 'v', options: [{ text: { type: 'plain_text', text: 'o'.repeat(76) }, value: 'o' }] },
    };
    await slackError(
      bot.views.open({
        trigger_id: sim.issueTrigger(USER),
        view: modal({ submit: { type: 'plain_text', text: 'Go' }, callback_id: 'c'.repeat(256), blocks: [select] }) as never,
      }),
    );
    expect(sim.violations).toEqual([
      'views.open: view.callback_id is 256 characters; the limit is 255',
      'views.open: blocks[0].element.options[0].text is 76 characters; the limit is 75',
    ]);
  });
});
