// Slack's documented Block Kit and surface limits (docs.slack.dev/reference/block-kit/blocks, …/views/modal-views), checked the way Slack
// checks them before accepting a message, a modal or a Home tab. Returns one line per violation.

export type Surface = 'message' | 'modal' | 'home';

const MAX_BLOCKS: Record<Surface, number> = { message: 50, modal: 100, home: 100 };

type Json = Record<string, unknown>;

const asObject = (value: unknown): Json | undefined =>
  value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Json) : undefined;
const asArray = (value: unknown): unknown[] => (Array.isArray(value) ? value : []);
const textOf = (value: unknown): string | undefined => {
  const object = asObject(value);
  return typeof object?.text === 'string' ? object.text : undefined;
};

class Checker {
  readonly problems: string[] = [];

  max(where: string, value: string | undefined, limit: number): void {
    if (value !== undefined && value.length > limit) this.problems.push(`${where} is ${value.length} characters; the limit is ${limit}`);
  }

  count(where: string, items: unknown[], limit: number): void {
    if (items.length > limit) this.problems.push(`${where} has ${items.length} items; the limit is ${limit}`);
  }

  option(where: string, option: unknown): void {
    const object = asObject(option);
    this.max(`${where}.text`, textOf(object?.text), 75);
    this.max(`${where}.value`, typeof object?.value === 'string' ? object.value : undefined, 75);
    this.max(`${where}.description`, textOf(object?.description), 75);
  }

  element(where: string, element: unknown): void {
    const object = asObject(element);
    if (!object) return;
    this.max(`${where}.action_id`, typeof object.action_id === 'string' ? object.action_id : undefined, 255);
    if (object.type === 'button') {
      this.max(`${where}.text`, textOf(object.text), 75);
      this.max(`${where}.value`, typeof object.value === 'string' ? object.value : undefined, 2000);
      this.max(`${where}.url`, typeof object.url === 'string' ? object.url : undefined, 3000);
    }
    if (object.type === 'static_select' || object.type === 'multi_static_select' || object.type === 'radio_buttons') {
      const options = asArray(object.options);
      this.count(`${where}.options`, options, object.type === 'radio_buttons' ? 10 : 100);
      options.forEach((option, index) => {
        this.option(`${where}.options[${index}]`, option);
      });
    }
    if (object.type === 'plain_text_input') {
      for (const key of ['max_length', 'min_length'] as const) {
        const value = object[key];
        if (typeof value === 'number' && (value < 0 || value > 3000)) this.problems.push(`${where}.${key} is ${value}; it must be 0–3000`);
      }
    }
    this.max(`${where}.placeholder`, textOf(object.placeholder), 150);
  }

  block(where: string, block: unknown, blockIds: Set<string>): void {
    const object = asObject(block);
    if (!object || typeof object.type !== 'string') {
      this.problems.push(`${where} has no type`);
      return;
    }
    if (typeof object.block_id === 'string') {
      this.max(`${where}.block_id`, object.block_id, 255);
      if (blockIds.has(object.block_id)) this.problems.push(`${where}.block_id "${object.block_id}" is used twice`);
      blockIds.add(object.block_id);
    }
    switch (object.type) {
      case 'section': {
        const text = textOf(object.text);
        const fields = asArray(object.fields);
        if (text === undefined && fields.length === 0) this.problems.push(`${where} needs text or fields`);
        if (text !== undefined && text.length === 0) this.problems.push(`${where}.text must not be empty`);
        this.max(`${where}.text`, text, 3000);
        this.count(`${where}.fields`, fields, 10);
        fields.forEach((field, index) => {
          this.max(`${where}.fields[${index}]`, textOf(field), 2000);
        });
        if (object.accessory) this.element(`${where}.accessory`, object.accessory);
        break;
      }
      case 'header':
        this.max(`${where}.text`, textOf(object.text), 150);
        break;
      case 'actions': {
        const elements = asArray(object.elements);
        this.count(`${where}.elements`, elements, 25);
        elements.forEach((element, index) => {
          this.element(`${where}.elements[${index}]`, element);
        });
        break;
      }
      case 'context': {
        const elements = asArray(object.elements);
        this.count(`${where}.elements`, elements, 10);
        elements.forEach((element, index) => {
          this.max(`${where}.elements[${index}]`, textOf(element), 3000);
        });
        break;
      }
      case 'input':
        this.max(`${where}.label`, textOf(object.label), 2000);
        this.max(`${where}.hint`, textOf(object.hint), 2000);
        this.element(`${where}.element`, object.element);
        break;
      case 'divider':
      case 'image':
      case 'rich_text':
        break;
      default:
        this.problems.push(`${where} has unknown type "${object.type}"`);
    }
  }
}

export function checkBlocks(blocks: unknown, surface: Surface): string[] {
  const checker = new Checker();
  if (blocks === undefined) return [];
  if (!Array.isArray(blocks)) return ['blocks must be an array'];
  checker.count('blocks', blocks, MAX_BLOCKS[surface]);
  const blockIds = new Set<string>();
  blocks.forEach((block, index) => {
    checker.block(`blocks[${index}]`, block, blockIds);
  });
  if (surface === 'message' && blocks.some((block) => asObject(block)?.type === 'input')) {
    checker.problems.push('input blocks are not allowed in messages');
  }
  return checker.problems;
}

export function checkView(view: unknown, surface: 'modal' | 'home'): string[] {
  const object = asObject(view);
  if (!object) return ['view must be an object'];
  const checker = new Checker();
  if (object.type !== surface) checker.problems.push(`view.type must be "${surface}"`);
  if (surface === 'modal') {
    const title = textOf(object.title);
    if (title === undefined) checker.problems.push('view.title is required');
    checker.max('view.title', title, 24);
    checker.max('view.submit', textOf(object.submit), 24);
    checker.max('view.close', textOf(object.close), 24);
    const hasInput = asArray(object.blocks).some((block) => asObject(block)?.type === 'input');
    if (hasInput && textOf(object.submit) === undefined) checker.problems.push('view.submit is required when the view has an input block');
  }
  checker.max('view.private_metadata', typeof object.private_metadata === 'string' ? object.private_metadata : undefined, 3000);
  checker.max('view.callback_id', typeof object.callback_id === 'string' ? object.callback_id : undefined, 255);
  checker.max('view.external_id', typeof object.external_id === 'string' ? object.external_id : undefined, 255);
  if (JSON.stringify(object).length > 250_000) checker.problems.push('view is larger than 250 kB');
  return [...checker.problems, ...checkBlocks(object.blocks ?? [], surface)];
}

export function checkMessageText(text: unknown): string[] {
  // Slack truncates top-level text above 40,000 characters; a bot that sends that much has a bug.
  return typeof text === 'string' && text.length > 40_000 ? [`text is ${text.length} characters; Slack truncates above 40000`] : [];
}
