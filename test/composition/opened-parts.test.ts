import { describe, expect, it } from 'vitest';
import { OpenedParts } from '../../src/composition/opened-parts.js';

describe('OpenedParts', () => {
  it('closes the last opened part first, each once', async () => {
    const parts = new OpenedParts();
    const closed: string[] = [];
    for (const name of ['database', 'slack', 'ops']) parts.add(async () => void closed.push(name));
    await parts.closeAll();
    await parts.closeAll();
    expect(closed).toEqual(['ops', 'slack', 'database']);
  });

  it('closes every part even when one fails to close, then reports the first failure', async () => {
    const parts = new OpenedParts();
    const closed: string[] = [];
    parts.add(async () => void closed.push('database'));
    parts.add(async () => {
      throw new Error('slack would not close');
    });
    parts.add(async () => {
      throw new Error('ops would not close');
    });
    await expect(parts.closeAll()).rejects.toThrow('ops would not close');
    expect(closed).toEqual(['database']);
  });
});
