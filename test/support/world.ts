import { type SandboxOptions, startWorld as startSandbox, type World } from '../../simulators/sandbox.js';
import type { LogLevel } from '../../src/config.js';

export { APPROVALS, DEFAULT_POLICY, MEMBER_GROUP, PIM_GROUP } from '../../simulators/policies.js';
export { PEOPLE, type World } from '../../simulators/sandbox.js';

/** The sandbox with the bot's logs off, unless JIT_TEST_LOG_LEVEL asks for them while debugging. */
export function startWorld(options: SandboxOptions = {}): Promise<World> {
  return startSandbox({ logLevel: (process.env.JIT_TEST_LOG_LEVEL as LogLevel | undefined) ?? 'silent', ...options });
}

/** Stops the world and returns the Slack rules the bot broke while it ran (a test expects none). */
export async function stopWorld(world: World | undefined): Promise<string[]> {
  if (!world) return [];
  const violations = [...world.slack.violations];
  await world.stop();
  return violations;
}
