import type { InputBlock, PlainTextInput, RadioButtons, StaticSelect } from '@slack/types';
import { describe, expect, it } from 'vitest';
import { renderDenyModal, renderRequestModal } from '../../../../src/adapters/slack/blocks/request-modal.js';
import { ACTION, HOW, INPUT, VIEW } from '../../../../src/adapters/slack/ids.js';
import { REASON_MAX_LENGTH, REASON_MIN_LENGTH } from '../../../../src/domain/reason.js';
import { makeTarget } from '../../../support/fixtures.js';

const ssh = makeTarget();
const db = makeTarget({
  id: 'prod-db',
  name: 'Production database',
  description: 'Read & write',
  duration: { defaultMinutes: 30, maxMinutes: 60, choices: [30, 60] },
});

const inputs = (blocks: readonly { type: string }[]) => blocks.filter((block): block is InputBlock => block.type === 'input');
const select = (block: InputBlock | undefined) => block?.element as StaticSelect | undefined;

describe('the request modal', () => {
  it('offers break-glass beside asking the approvers only for a target with break_glass, asking the approvers by default', () => {
    const glass = makeTarget({ breakGlass: { maxMinutes: 60, alertChannel: 'C0SECURITY' } });
    const how = inputs(renderRequestModal([glass], glass).blocks).find((block) => block.block_id === INPUT.how);
    const radio = how?.element as RadioButtons | undefined;

    expect(radio?.options?.map((option) => [option.value, option.text.text])).toEqual([
      [HOW.approvers, 'Ask the approvers'],
      [HOW.breakGlass, 'Emergency access (break-glass)'],
    ]);
    expect(radio?.options?.[1]?.description?.text).toBe('Granted at once for at most 1h, reviewed afterwards');
    expect(radio?.initial_option?.value).toBe(HOW.approvers);
    expect(inputs(renderRequestModal([ssh], ssh).blocks).map((block) => block.block_id)).not.toContain(INPUT.how);
  });

  it('asks for a target, a reason and a duration, with the picked target shown', () => {
    const modal = renderRequestModal([ssh, db], db);

    expect(modal.callback_id).toBe(VIEW.request);
    expect(JSON.parse(modal.private_metadata ?? '{}')).toEqual({ targetId: 'prod-db' });
    const [target, reason, duration] = inputs(modal.blocks);
    expect(inputs(modal.blocks).map((block) => block.block_id)).toEqual([INPUT.target, INPUT.reason, `${INPUT.durationPrefix}prod-db`]);
    const picker = select(target);
    expect(picker?.action_id).toBe(ACTION.targetChanged);
    expect(target?.dispatch_action).toBe(true);
    expect(picker?.options?.map((option) => option.value)).toEqual(['prod-ssh', 'prod-db']);
    expect(picker?.initial_option?.value).toBe('prod-db');
    const text = reason?.element as PlainTextInput | undefined;
    expect([text?.min_length, text?.max_length]).toEqual([REASON_MIN_LENGTH, REASON_MAX_LENGTH]);
    expect(select(duration)?.initial_option?.value).toBe('30');
  });

  it('offers only the durations the picked target allows', () => {
    const duration = inputs(renderRequestModal([ssh], ssh).blocks)[2];

    expect(select(duration)?.options?.map((option) => option.value)).toEqual(['30', '60', '120', '240']);
  });
});

describe('the deny modal', () => {
  it('carries the request id and asks for an optional reason', () => {
    const modal = renderDenyModal('req_TEST', 'Production servers (SSH)');

    expect(modal.callback_id).toBe(VIEW.denyReason);
    expect(JSON.parse(modal.private_metadata ?? '{}')).toEqual({ requestId: 'req_TEST' });
    const [comment] = inputs(modal.blocks);
    expect(comment?.block_id).toBe(INPUT.denyComment);
    expect(comment?.optional).toBe(true);
  });
});

describe('the incident field', () => {
  it.each([
    ['required', false, 'PagerDuty incident'],
    ['optional', true, 'PagerDuty incident (optional)'],
  ] as const)('is asked for last where the target wants it %s', (incident, optional, label) => {
    const modal = renderRequestModal([ssh], makeTarget({ incident }));
    const field = inputs(modal.blocks).at(-1);
    expect(field).toMatchObject({ block_id: INPUT.incident, optional, label: { text: label } });
    expect(field?.element as PlainTextInput | undefined).toMatchObject({ type: 'plain_text_input', action_id: INPUT.value });
  });

  it('is absent where the target asks for no incident', () => {
    expect(inputs(renderRequestModal([ssh], ssh).blocks).map((block) => block.block_id)).not.toContain(INPUT.incident);
  });
});
