import { describe, expect, it } from 'vitest';
import { isGuestOrOutsider } from '../../../src/adapters/slack/slack-profiles.js';

const HOME = { teamId: 'T0HOME', enterpriseId: 'E0ORG' };

describe('who counts as a guest or outsider in Slack', () => {
  it.each([
    ['a member of the workspace', { team_id: 'T0HOME' }, false],
    ['a multi-channel guest', { team_id: 'T0HOME', is_restricted: true }, true],
    ['a single-channel guest', { team_id: 'T0HOME', is_restricted: true, is_ultra_restricted: true }, true],
    ['a Slack Connect user sharing a channel', { team_id: 'T0PARTNER' }, true],
    ['a Slack Connect user sharing no channel', { team_id: 'T0PARTNER', is_stranger: true }, true],
    [
      'a member of another workspace of the same Grid organisation',
      { team_id: 'T0SISTER', enterprise_user: { enterprise_id: 'E0ORG' } },
      false,
    ],
    ['a user of another Grid organisation', { team_id: 'T0PARTNER', enterprise_user: { enterprise_id: 'E0OTHER' } }, true],
  ])('%s: %s', (_who, user, expected) => {
    expect(isGuestOrOutsider(user, HOME)).toBe(expected);
  });

  it('outside Grid, any other team is an outside organisation', () => {
    expect(isGuestOrOutsider({ team_id: 'T0PARTNER', enterprise_user: { enterprise_id: 'E0ORG' } }, { teamId: 'T0HOME' })).toBe(true);
  });
});
