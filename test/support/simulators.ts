export { CLIENT_ID, CLIENT_SECRET, LEAST_PRIVILEGE, startGraphSimulator, TENANT_ID } from '../../simulators/sandbox.js';
