// Reads rendered Block Kit back as what a person sees: the blocks' types, their texts and their buttons.

import type { Button, KnownBlock } from '@slack/types';

export const blockTypes = (blocks: readonly KnownBlock[]): string[] => blocks.map((block) => block.type);

/** The text each block shows (section text and fields, context elements, headers), one string per block. */
export function blockTexts(blocks: readonly KnownBlock[]): string[] {
  return blocks.map((block) => {
    switch (block.type) {
      case 'section':
        return [block.text?.text ?? '', ...(block.fields ?? []).map((field) => field.text)].filter(Boolean).join('\n');
      case 'context':
        return block.elements.map((element) => ('text' in element ? element.text : '')).join(' ');
      case 'header':
        return block.text.text;
      default:
        return '';
    }
  });
}

/** Every button, in the order a person sees them: section accessories and actions blocks. */
export function buttons(blocks: readonly KnownBlock[]): Button[] {
  return blocks.flatMap((block): Button[] => {
    if (block.type === 'section' && block.accessory?.type === 'button') return [block.accessory];
    if (block.type === 'actions') return block.elements.filter((element): element is Button => element.type === 'button');
    return [];
  });
}

export const actionIds = (blocks: readonly KnownBlock[]): (string | undefined)[] => buttons(blocks).map((button) => button.action_id);
