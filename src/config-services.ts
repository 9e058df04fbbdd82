// The outside services the configuration may connect the bot to, each optional: HashiCorp Boundary, ServiceNow and
// PagerDuty. Read from the environment config.ts hands over (it is the only reader of process.env); each
// reports every problem it finds, with the fix.

import { DEFAULTS } from './config-defaults.js';

/** The environment as config.ts read it. */
export type Env = Readonly<Record<string, string | undefined>>;

const LOOPBACK_HOSTS = new Set(['localhost', '127.0.0.1', '[::1]']);

export interface BoundaryConfig {
  addr: string;
  /** The bot's own password (`ampw_…`) or LDAP (`amldap_…`) auth method. */
  authMethodId: string;
  loginName: string;
  password: string;
  /** The OIDC auth method (`amoidc_…`) people sign in with through Entra. */
  oidcAuthMethodId: string;
}

export interface ServiceNowConfig {
  /** The instance, such as https://example.service-now.com, without a trailing slash. */
  instanceUrl: string;
  /** The integration user (role itil) the bot opens and closes changes as. */
  username: string;
  password: string;
}

export interface PagerDutyConfig {
  /** PagerDuty REST API v2 base URL. */
  apiUrl: string;
  /** A read-only REST API key. */
  token: string;
}

function isLoopback(url: URL): boolean {
  return LOOPBACK_HOSTS.has(url.hostname);
}

/**
 * A URL the bot sends credentials to: https, or plain http on loopback only (the local simulators), and never
 * with user info, a query or a fragment.
 */
export function checkServiceUrl(name: string, value: string, problems: string[], options: { httpsOnly: boolean }): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    problems.push(`${name} is not a URL ("${value}"); give an absolute URL such as ${DEFAULTS[name as keyof typeof DEFAULTS]}`);
    return value;
  }
  const httpAllowed = !options.httpsOnly && url.protocol === 'http:' && isLoopback(url);
  if (url.protocol !== 'https:' && !httpAllowed) {
    const rule = options.httpsOnly ? 'must use https' : 'must use https (plain http is accepted on localhost only)';
    problems.push(`${name} ${rule}; got "${url.protocol}//${url.host}"`);
  }
  if (url.username || url.password || url.search || url.hash) {
    problems.push(`${name} must not carry credentials, a query or a fragment; give just the base URL`);
  }
  return url.toString();
}

/**
 * The optional Boundary settings: all or none. Boundary ids carry their type as a prefix (ampw_, amldap_,
 * amoidc_; developer.hashicorp.com/boundary/docs/concepts/domain-model/auth-methods).
 */
export function readBoundary(env: Env, problems: string[]): BoundaryConfig | undefined {
  const addrValue = env.BOUNDARY_ADDR?.trim() ?? '';
  if (!addrValue) return undefined;
  const needed = 'required once BOUNDARY_ADDR is set';
  let addr = addrValue;
  try {
    const url = new URL(addrValue);
    if (url.protocol !== 'https:' && !(url.protocol === 'http:' && isLoopback(url))) {
      problems.push(`BOUNDARY_ADDR must use https (plain http is accepted on localhost only); got "${url.protocol}//${url.host}"`);
    }
    if (url.username || url.password || url.search || url.hash) {
      problems.push('BOUNDARY_ADDR must not carry credentials, a query or a fragment; give just the controller address');
    }
    addr = url.origin + url.pathname.replace(/\/+$/, '');
  } catch {
    problems.push(`BOUNDARY_ADDR is not a URL ("${addrValue}"); give the controller address, such as https://boundary.example.com:9200`);
  }
  const authMethodId = env.BOUNDARY_AUTH_METHOD_ID?.trim() ?? '';
  if (!authMethodId)
    problems.push(`BOUNDARY_AUTH_METHOD_ID is ${needed}: the password (ampw_…) or LDAP (amldap_…) auth method of the bot's account`);
  else if (!/^(ampw|amldap)_\w+$/.test(authMethodId)) {
    problems.push(`BOUNDARY_AUTH_METHOD_ID must be a password (ampw_…) or LDAP (amldap_…) auth method id; got "${authMethodId}"`);
  }
  const loginName = env.BOUNDARY_LOGIN_NAME?.trim() ?? '';
  if (!loginName) problems.push(`BOUNDARY_LOGIN_NAME is ${needed}: the login name of the bot's Boundary account`);
  const password = env.BOUNDARY_PASSWORD ?? '';
  if (!password) problems.push(`BOUNDARY_PASSWORD is ${needed}: the password of the bot's Boundary account`);
  const oidcAuthMethodId = env.BOUNDARY_OIDC_AUTH_METHOD_ID?.trim() ?? '';
  if (!oidcAuthMethodId) problems.push(`BOUNDARY_OIDC_AUTH_METHOD_ID is ${needed}: the OIDC auth method (amoidc_…) people sign in with`);
  else if (!/^amoidc_\w+$/.test(oidcAuthMethodId)) {
    problems.push(`BOUNDARY_OIDC_AUTH_METHOD_ID must be an OIDC auth method id (amoidc_…); got "${oidcAuthMethodId}"`);
  }
  return Object.freeze({ addr, authMethodId, loginName, password, oidcAuthMethodId });
}

/** The optional ServiceNow settings: all three, or none (the URL unset turns change records off). */
export function readServiceNow(env: Env, problems: string[]): ServiceNowConfig | undefined {
  const urlValue = env.SERVICENOW_INSTANCE_URL?.trim() ?? '';
  const needed = 'required once SERVICENOW_INSTANCE_URL is set';
  if (!urlValue) {
    if (env.SERVICENOW_USERNAME?.trim() || env.SERVICENOW_PASSWORD) {
      problems.push('SERVICENOW_USERNAME and SERVICENOW_PASSWORD are set but SERVICENOW_INSTANCE_URL is not; set it too, or unset them');
    }
    return undefined;
  }
  let instanceUrl = urlValue;
  try {
    const url = new URL(urlValue);
    if (url.protocol !== 'https:' && !(url.protocol === 'http:' && isLoopback(url))) {
      problems.push(
        `SERVICENOW_INSTANCE_URL must use https (plain http is accepted on localhost only); got "${url.protocol}//${url.host}"`,
      );
    }
    if (url.username || url.password || url.search || url.hash) {
      problems.push('SERVICENOW_INSTANCE_URL must not carry credentials, a query or a fragment; give just the instance address');
    }
    instanceUrl = url.origin + url.pathname.replace(/\/+$/, '');
  } catch {
    problems.push(
      `SERVICENOW_INSTANCE_URL is not a URL ("${urlValue}"); give the instance address, such as https://example.service-now.com`,
    );
  }
  const username = env.SERVICENOW_USERNAME?.trim() ?? '';
  if (!username) problems.push(`SERVICENOW_USERNAME is ${needed}: the integration user (with the itil role) the bot opens changes as`);
  const password = env.SERVICENOW_PASSWORD ?? '';
  if (!password) problems.push(`SERVICENOW_PASSWORD is ${needed}: the integration user's password`);
  return Object.freeze({ instanceUrl, username, password });
}

/**
 * PagerDuty is optional: without PAGERDUTY_TOKEN nothing of it is used (and a policy that needs it is refused).
 * PAGERDUTY_API_URL without a token is a mistake worth reporting: someone meant to turn it on.
 */
export function readPagerDuty(env: Env, problems: string[]): PagerDutyConfig | undefined {
  const token = env.PAGERDUTY_TOKEN?.trim() ?? '';
  const urlValue = env.PAGERDUTY_API_URL?.trim() ?? '';
  if (!token) {
    if (urlValue) problems.push('PAGERDUTY_API_URL is set but PAGERDUTY_TOKEN is not: give a read-only REST API key, or unset both');
    return undefined;
  }
  if (/\s/.test(token)) problems.push('PAGERDUTY_TOKEN must be the API key alone, without spaces or a "Token token=" prefix');
  const apiUrl = checkServiceUrl('PAGERDUTY_API_URL', urlValue || DEFAULTS.PAGERDUTY_API_URL, problems, { httpsOnly: false }).replace(
    /\/+$/,
    '',
  );
  return Object.freeze({ apiUrl, token });
}
