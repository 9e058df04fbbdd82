import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkManifest, methodsCalled, requiredScopes } from '../../scripts/manifest-rules.js';

const root = join(import.meta.dirname, '..', '..');
const text = readFileSync(join(root, 'manifest.yml'), 'utf8');

describe('manifest.yml', () => {
  it('asks for exactly the scopes the Web API methods in src/ need, and nothing unknown is called', () => {
    const needed = requiredScopes(methodsCalled(join(root, 'src')));
    expect(needed.unknown).toEqual([]);
    expect(needed.scopes).toEqual(['chat:write', 'commands', 'users:read', 'users:read.email']);
    expect(checkManifest(text, needed.scopes, needed.optional)).toEqual([]);
  });

  it('leaves usergroups:read, which only approvers.groups needs, to the deployments that use it', () => {
    expect(requiredScopes(methodsCalled(join(root, 'src'))).optional).toEqual(['usergroups:read']);
    const withGroups = text.replace(
      '      - commands ',
      '      - usergroups:read  # approvers.groups: who is in a user group\n      - commands ',
    );
    expect(checkManifest(withGroups, ['chat:write', 'commands', 'users:read', 'users:read.email'], ['usergroups:read'])).toEqual([]);
    expect(checkManifest(withGroups, ['chat:write', 'commands', 'users:read', 'users:read.email'])).toEqual([
      'oauth_config.scopes.bot asks for usergroups:read, which no code uses',
    ]);
  });

  it('finds the methods the bot calls in its source', () => {
    expect(methodsCalled(join(root, 'src'))).toEqual(
      expect.arrayContaining(['chat.postMessage', 'users.info', 'usergroups.users.list', 'views.publish']),
    );
  });

  it('refuses a manifest without Socket Mode, the Home tab event or the /jit command', () => {
    const broken = text
      .replace('socket_mode_enabled: true', 'socket_mode_enabled: false')
      .replace('- app_home_opened', '- message.im')
      .replace('command: /jit', 'command: /access');
    expect(checkManifest(broken, ['chat:write', 'commands', 'users:read', 'users:read.email'])).toEqual([
      'settings.socket_mode_enabled must be true (the bot has no public URL)',
      'settings.event_subscriptions.bot_events must include app_home_opened',
      'features.slash_commands must declare /jit',
      'features.slash_commands[/jit].description is required',
    ]);
  });

  it('refuses a scope no code uses, a missing one, and a scope without its reason', () => {
    const extra = text.replace('      - commands ', '      - channels:history  # read history\n      - commands ');
    expect(checkManifest(extra, ['chat:write', 'commands', 'users:read', 'users:read.email'])).toEqual([
      'oauth_config.scopes.bot asks for channels:history, which no code uses',
    ]);
    expect(checkManifest(text, ['chat:write', 'commands', 'im:write', 'users:read', 'users:read.email'])).toEqual([
      'oauth_config.scopes.bot lacks im:write, which the code needs',
    ]);
    const silent = text.replace(/- users:read {2}\s*#[^\n]*/, '- users:read');
    expect(checkManifest(silent, ['chat:write', 'commands', 'users:read', 'users:read.email'])).toEqual([
      'oauth_config.scopes.bot: users:read needs a comment saying why',
    ]);
  });

  it('knows a scope for every method a new feature may call only once it is written down', () => {
    expect(requiredScopes(['chat.postMessage', 'conversations.members']).unknown).toEqual(['conversations.members']);
  });
});
