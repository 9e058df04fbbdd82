// Turns Block Kit and mrkdwn into plain lines a person can follow in a terminal.

type Json = Record<string, unknown>;

export interface Names {
  user(id: string): string;
  channel(id: string): string;
}

export function readableMrkdwn(text: string, names: Names): string {
  return text
    .replace(/<!date\^\d+\^[^|>]*\|([^>]*)>/g, '$1')
    .replace(/<@([UW][A-Z0-9]+)>/g, (_, id: string) => `@${names.user(id)}`)
    .replace(/<#([CGD][A-Z0-9]+)>/g, (_, id: string) => `#${names.channel(id)}`)
    .replace(/:([a-z_]+):/g, '')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&amp;/g, '&')
    .replace(/ {2,}/g, ' ')
    .trim();
}

const textOf = (value: unknown): string => String((value as Json | undefined)?.text ?? '');

function buttons(elements: unknown[]): string {
  return elements
    .map((element) => element as Json)
    .filter((element) => element.type === 'button')
    .map((element) => `[${textOf(element.text)}]`)
    .join(' ');
}

export function blocksAsLines(blocks: unknown[], names: Names): string[] {
  const lines: string[] = [];
  for (const raw of blocks) {
    const block = raw as Json;
    const read = (text: string) => readableMrkdwn(text, names);
    switch (block.type) {
      case 'header':
        lines.push(`== ${read(textOf(block.text))} ==`);
        break;
      case 'section': {
        if (block.text) lines.push(...read(textOf(block.text)).split('\n'));
        // A field is a bold title, a line break and its value (which may have lines of its own).
        for (const field of (block.fields as unknown[] | undefined) ?? [])
          lines.push(...read(textOf(field)).replace('\n', ': ').split('\n'));
        const accessory = block.accessory as Json | undefined;
        if (accessory?.type === 'button') lines.push(buttons([accessory]));
        break;
      }
      case 'context':
        lines.push(`(${((block.elements as unknown[]) ?? []).map((element) => read(textOf(element))).join(' · ')})`);
        break;
      case 'actions':
        lines.push(buttons((block.elements as unknown[]) ?? []));
        break;
      case 'input': {
        const element = block.element as Json;
        const options = ((element.options as Json[] | undefined) ?? []).map((option) => textOf(option.text));
        lines.push(`${textOf(block.label)}: ${options.length > 0 ? `<${options.join(' | ')}>` : '________'}`);
        break;
      }
      default:
        break;
    }
  }
  return lines.filter((line) => line.trim() !== '');
}
