export { CLIENT_ID, CLIENT_SECRET, LEAST_PRIVILEGE, startGraphSimulator, TENANT_ID } from '../../src/simulators/sandbox.js';
