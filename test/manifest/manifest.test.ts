import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Ajv } from 'ajv';
import formatsPlugin from 'ajv-formats';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { manifestBotScopes } from '../../src/simulators/slack/manifest-scopes.js';

const root = join(import.meta.dirname, '..', '..');
// Slack's published manifest schema, kept in ../shared/specs beside the checkout (not copied into the project).
const SCHEMA = join(root, '..', 'shared', 'specs', 'slack-app-manifest.schema.1.0.0.json');

interface Manifest {
  features: { app_home: { home_tab_enabled: boolean }; slash_commands: { command: string }[]; bot_user: unknown };
  settings: { socket_mode_enabled: boolean; interactivity: { is_enabled: boolean }; event_subscriptions: { bot_events: string[] } };
}

const manifest = parse(readFileSync(join(root, 'manifest.yml'), 'utf8')) as Manifest;

function validate(document: unknown): string[] {
  // The v1 schema compiles only with strict off (a custom `regex` keyword; reference/slack.md §7).
  const ajv = new Ajv({ strict: false, allErrors: true });
  // ajv-formats is CommonJS; under ESM its plugin arrives as the module's `default`.
  const addFormats = (formatsPlugin as unknown as { default: (ajv: Ajv) => Ajv }).default;
  addFormats(ajv);
  const check = ajv.compile(JSON.parse(readFileSync(SCHEMA, 'utf8')));
  return check(document) ? [] : (check.errors ?? []).map((error) => `${error.instancePath} ${error.message}`);
}

describe('manifest.yml', () => {
  it('satisfies Slack’s manifest schema', () => {
    expect(validate(manifest)).toEqual([]);
  });

  it('would catch a broken manifest (the schema check itself works)', () => {
    expect(validate({ ...manifest, features: { ...manifest.features, bot_user: {} } })).not.toEqual([]);
    expect(validate({ ...manifest, settings: { ...manifest.settings, socket_mode_enable: true } })).not.toEqual([]);
  });

  it('turns on Socket Mode, interactivity, the Home tab, /jit and app_home_opened', () => {
    expect(manifest.settings.socket_mode_enabled).toBe(true);
    expect(manifest.settings.interactivity.is_enabled).toBe(true);
    expect(manifest.features.app_home.home_tab_enabled).toBe(true);
    expect(manifest.features.slash_commands.map((command) => command.command)).toEqual(['/jit']);
    expect(manifest.settings.event_subscriptions.bot_events).toEqual(['app_home_opened']);
  });

  it('asks for exactly the scopes the code uses, each commented with why', () => {
    expect(manifestBotScopes()).toEqual(['commands', 'chat:write', 'users:read', 'users:read.email']);
    const text = readFileSync(join(root, 'manifest.yml'), 'utf8');
    for (const scope of manifestBotScopes()) expect(text).toMatch(new RegExp(`- ${scope.replace('.', '\\.')}\\s+# \\S`));
  });
});
