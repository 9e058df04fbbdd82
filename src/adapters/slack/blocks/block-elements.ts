// Small constructors for the Block Kit pieces the bot uses, so the builders read as what they show. The limits
// are Slack's (docs.slack.dev/reference/block-kit/blocks).

import type {
  ActionsBlock,
  Button,
  ContextBlock,
  DividerBlock,
  HeaderBlock,
  MrkdwnElement,
  PlainTextElement,
  SectionBlock,
} from '@slack/types';

export const plain = (text: string): PlainTextElement => ({ type: 'plain_text', text, emoji: true });
export const markdown = (text: string): MrkdwnElement => ({ type: 'mrkdwn', text });

export const header = (text: string): HeaderBlock => ({ type: 'header', text: plain(text.slice(0, 150)) });
export const section = (text: string, blockId?: string): SectionBlock => ({
  type: 'section',
  text: markdown(text.slice(0, 3000)),
  ...(blockId && { block_id: blockId }),
});
export const fields = (items: string[]): SectionBlock => ({
  type: 'section',
  fields: items.slice(0, 10).map((item) => markdown(item.slice(0, 2000))),
});
export const context = (...items: string[]): ContextBlock => ({
  type: 'context',
  elements: items.slice(0, 10).map((item) => markdown(item)),
});
export const divider = (): DividerBlock => ({ type: 'divider' });

export interface ButtonSpec {
  actionId: string;
  text: string;
  value: string;
  style?: 'primary' | 'danger';
  confirm?: { title: string; text: string; confirm: string; deny: string };
}

export function button(spec: ButtonSpec): Button {
  return {
    type: 'button',
    action_id: spec.actionId,
    text: plain(spec.text),
    value: spec.value,
    ...(spec.style && { style: spec.style }),
    ...(spec.confirm && {
      confirm: {
        title: plain(spec.confirm.title),
        text: markdown(spec.confirm.text),
        confirm: plain(spec.confirm.confirm),
        deny: plain(spec.confirm.deny),
      },
    }),
  };
}

export const actions = (blockId: string, buttons: ButtonSpec[]): ActionsBlock => ({
  type: 'actions',
  block_id: blockId,
  elements: buttons.map(button),
});
