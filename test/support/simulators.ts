import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GraphSimulator, type GraphSimulatorOptions } from '../../src/simulators/graph/graph-simulator.js';
import { ensureSimulatorTls } from '../../src/simulators/graph/tls.js';

export const TENANT_ID = '7d1c1c0e-9a55-4f4b-8f3e-5a8c1b9e0d11';
export const CLIENT_ID = '0c3e3b31-5b6a-4e0e-9c5a-0d7f2a1b9e10';
export const CLIENT_SECRET = 'sim~secret.value-0123456789';
export const LEAST_PRIVILEGE = [
  'User.Read.All',
  'GroupMember.ReadWrite.All',
  'PrivilegedAssignmentSchedule.ReadWrite.AzureADGroup',
  'PrivilegedEligibilitySchedule.Read.AzureADGroup',
];

/** A started Graph simulator with the bot's app registration, using the CA that global-setup made trusted. */
export async function startGraphSimulator(options: Partial<GraphSimulatorOptions> & { roles?: string[] } = {}): Promise<GraphSimulator> {
  const directory = process.env.JIT_SIMULATOR_TLS_DIR ?? join(tmpdir(), 'jit-access-bot-simulator-tls');
  const tls = await ensureSimulatorTls(directory);
  const sim = new GraphSimulator({ tenantId: TENANT_ID, tls, ...options });
  sim.addApp({ clientId: CLIENT_ID, secret: CLIENT_SECRET, roles: options.roles ?? LEAST_PRIVILEGE });
  await sim.start();
  return sim;
}
