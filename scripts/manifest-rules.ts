// The rules manifest.yml must follow, written from Slack's documentation rather than copied from its schema:
// what Socket Mode, the slash command, interactivity and the Home tab need, and exactly the bot scopes that the
// Web API methods the bot calls require.
//   https://docs.slack.dev/reference/app-manifest
//   https://docs.slack.dev/apis/events-api/using-socket-mode
//   https://docs.slack.dev/reference/methods (each method page lists its required scope)

import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';

/** The bot-token scope each Web API method needs (null: none, as for auth.test and views.*). */
export const METHOD_SCOPES: Readonly<Record<string, string | null>> = {
  'auth.test': null,
  'chat.postMessage': 'chat:write',
  'chat.postEphemeral': 'chat:write',
  'chat.update': 'chat:write',
  'chat.getPermalink': null,
  'users.info': 'users:read',
  'usergroups.users.list': 'usergroups:read',
  'views.open': null,
  'views.push': null,
  'views.update': null,
  'views.publish': null,
};
// Scopes no method call shows: `commands` receives the slash command; users:read.email adds `profile.email`
// to users.info, which is how a Slack user is matched to an Entra account.
const IMPLIED_SCOPES = ['commands', 'users:read.email'];
/**
 * Scopes only an optional part of the policy needs, with that part: the shipped manifest leaves them out (least
 * permission) and a deployment that uses the part adds them (the README says which). A manifest may ask for them.
 */
export const OPTIONAL_SCOPES: Readonly<Record<string, string>> = {
  'usergroups:read': 'approvers.groups (Slack user groups among a target’s approvers)',
};

interface Manifest {
  _metadata?: { major_version?: number };
  display_information?: { name?: string };
  features?: {
    app_home?: { home_tab_enabled?: boolean; messages_tab_enabled?: boolean };
    bot_user?: { display_name?: string };
    slash_commands?: { command?: string; description?: string; should_escape?: boolean }[];
  };
  oauth_config?: { scopes?: { bot?: string[] } };
  settings?: {
    socket_mode_enabled?: boolean;
    interactivity?: { is_enabled?: boolean };
    event_subscriptions?: { bot_events?: string[] };
  };
}

/** The Web API methods the bot's source calls through Bolt's client (`client.chat.postMessage(…)`). */
export function methodsCalled(sourceDirectory: string): string[] {
  const methods = new Set<string>();
  for (const entry of readdirSync(sourceDirectory, { withFileTypes: true, recursive: true })) {
    if (!entry.isFile() || !entry.name.endsWith('.ts')) continue;
    const text = readFileSync(join(entry.parentPath, entry.name), 'utf8');
    // Method families may be nested: client.chat.postMessage(…), client.usergroups.users.list(…).
    for (const match of text.matchAll(/\bclient\.([a-z]+(?:\.[a-z]+)*)\.([a-zA-Z]+)\(/g)) methods.add(`${match[1]}.${match[2]}`);
  }
  return [...methods].sort();
}

/**
 * The scopes the code needs, given the methods it calls, apart from those only an optional part of the policy
 * needs (`optional`); a method without a known scope is a problem.
 */
export function requiredScopes(methods: readonly string[]): { scopes: string[]; optional: string[]; unknown: string[] } {
  const unknown = methods.filter((method) => !(method in METHOD_SCOPES));
  const scopes = new Set(IMPLIED_SCOPES);
  const optional = new Set<string>();
  for (const method of methods) {
    const scope = METHOD_SCOPES[method];
    if (scope) (scope in OPTIONAL_SCOPES ? optional : scopes).add(scope);
  }
  return { scopes: [...scopes].sort(), optional: [...optional].sort(), unknown };
}

/** `optionalScopes`: scopes the manifest may ask for or not (see OPTIONAL_SCOPES). */
export function checkManifest(text: string, neededScopes: readonly string[], optionalScopes: readonly string[] = []): string[] {
  const manifest = parse(text) as Manifest;
  const problems: string[] = [];
  const expect = (condition: boolean, problem: string) => {
    if (!condition) problems.push(problem);
  };
  expect(manifest._metadata?.major_version === 1, '_metadata.major_version must be 1');
  const name = manifest.display_information?.name ?? '';
  expect(name.length > 0 && name.length <= 35, 'display_information.name must be 1 to 35 characters');
  expect(Boolean(manifest.features?.bot_user?.display_name), 'features.bot_user.display_name is required for a bot token');
  expect(manifest.settings?.socket_mode_enabled === true, 'settings.socket_mode_enabled must be true (the bot has no public URL)');
  expect(manifest.settings?.interactivity?.is_enabled === true, 'settings.interactivity.is_enabled must be true (buttons and modals)');
  expect(manifest.features?.app_home?.home_tab_enabled === true, 'features.app_home.home_tab_enabled must be true (the dashboard)');
  expect(manifest.features?.app_home?.messages_tab_enabled === true, 'features.app_home.messages_tab_enabled must be true (DMs)');
  const events = manifest.settings?.event_subscriptions?.bot_events ?? [];
  expect(events.includes('app_home_opened'), 'settings.event_subscriptions.bot_events must include app_home_opened');
  const commands = manifest.features?.slash_commands ?? [];
  const jit = commands.find((command) => command.command === '/jit');
  expect(jit !== undefined, 'features.slash_commands must declare /jit');
  expect(Boolean(jit?.description), 'features.slash_commands[/jit].description is required');
  const declared = [...(manifest.oauth_config?.scopes?.bot ?? [])].sort();
  for (const scope of neededScopes) expect(declared.includes(scope), `oauth_config.scopes.bot lacks ${scope}, which the code needs`);
  for (const scope of declared)
    expect(neededScopes.includes(scope) || optionalScopes.includes(scope), `oauth_config.scopes.bot asks for ${scope}, which no code uses`);
  for (const scope of declared) {
    expect(
      new RegExp(`- ${scope.replace('.', '\\.')}\\s+# \\S`).test(text),
      `oauth_config.scopes.bot: ${scope} needs a comment saying why`,
    );
  }
  return problems;
}
