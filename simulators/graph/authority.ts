// The sign-in authority the Graph simulator also serves: the two calls ClientSecretCredential makes with
// disableInstanceDiscovery (openid-configuration, then the client-credentials token), and the bearer check on
// every Graph call. Errors carry Entra's AADSTS codes (learn.microsoft.com/entra/identity-platform/reference-error-codes).

import { randomBytes, randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { Directory } from './directory.js';
import { GraphError, type Json } from './graph-error.js';

export class Authority {
  private readonly tokens = new Map<string, { clientId: string; expiresAt: number }>();

  constructor(
    readonly tenantId: string,
    private readonly directory: Directory,
    /** Real time: MSAL's token cache runs on it, whatever a test does to the directory's clock. */
    private readonly realNow: () => number,
  ) {}

  serves(pathname: string): boolean {
    return pathname.startsWith(`/${this.tenantId}/`) || /^\/[^/]+\/(v2\.0|oauth2)\//.test(pathname);
  }

  answer(method: string, url: URL, raw: string, origin: string): [number, unknown] {
    const [, tenant = '', ...rest] = url.pathname.split('/');
    const path = rest.join('/');
    if (tenant !== this.tenantId) {
      return [
        400,
        aadError('invalid_request', `AADSTS90002: Tenant '${tenant}' not found. Check to make sure you have the correct tenant ID.`, 90002),
      ];
    }
    const base = `${origin}/${tenant}`;
    if (method === 'GET' && path === 'v2.0/.well-known/openid-configuration') {
      return [
        200,
        {
          issuer: `${base}/v2.0`,
          authorization_endpoint: `${base}/oauth2/v2.0/authorize`,
          token_endpoint: `${base}/oauth2/v2.0/token`,
          end_session_endpoint: `${base}/oauth2/v2.0/logout`,
          jwks_uri: `${base}/discovery/v2.0/keys`,
          response_types_supported: ['code', 'id_token', 'code id_token', 'token id_token', 'token'],
          subject_types_supported: ['pairwise'],
          id_token_signing_alg_values_supported: ['RS256'],
          tenant_region_scope: 'EU',
        },
      ];
    }
    if (method === 'POST' && path === 'oauth2/v2.0/token') return this.issueToken(new URLSearchParams(raw));
    return [404, aadError('invalid_request', 'AADSTS900561: The endpoint only accepts POST requests.', 900561)];
  }

  private issueToken(form: URLSearchParams): [number, unknown] {
    if (form.get('grant_type') !== 'client_credentials') {
      return [400, aadError('unsupported_grant_type', 'AADSTS70003: The app requested an unsupported grant type.', 70003)];
    }
    const app = this.directory.apps.get(form.get('client_id') ?? '');
    if (!app) {
      return [
        400,
        aadError(
          'unauthorized_client',
          `AADSTS700016: Application with identifier '${form.get('client_id')}' was not found in the directory.`,
          700016,
        ),
      ];
    }
    if (form.get('client_secret') !== app.secret) {
      return [
        401,
        aadError(
          'invalid_client',
          `AADSTS7000215: Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID, for a secret added to app '${app.clientId}'.`,
          7000215,
        ),
      ];
    }
    if (!(form.get('scope') ?? '').endsWith('/.default')) {
      return [
        400,
        aadError(
          'invalid_scope',
          'AADSTS1002012: The provided value for scope is not valid. Client credential flows must have a scope value with /.default suffixed to the resource identifier (application ID URI).',
          1002012,
        ),
      ];
    }
    const token = `sim.${randomBytes(24).toString('base64url')}`;
    this.tokens.set(token, { clientId: app.clientId, expiresAt: this.realNow() + 3599_000 });
    return [200, { token_type: 'Bearer', expires_in: 3599, ext_expires_in: 3599, access_token: token }];
  }

  /** The calling app's client id, or Graph's 401. */
  authenticate(request: IncomingMessage): string {
    const header = request.headers.authorization ?? '';
    if (!header) throw new GraphError(401, 'InvalidAuthenticationToken', 'Access token is empty.');
    const token = this.tokens.get(header.replace(/^Bearer /, ''));
    if (!token) throw new GraphError(401, 'InvalidAuthenticationToken', 'IDX14100: JWT is not well formed, there are no dots (.).');
    if (token.expiresAt <= this.realNow())
      throw new GraphError(401, 'InvalidAuthenticationToken', 'Lifetime validation failed, the token is expired.');
    return token.clientId;
  }

  /** Graph's 403 unless the app holds one of `allowed`. */
  require(clientId: string, allowed: readonly string[]): void {
    const roles = this.directory.apps.get(clientId)?.roles ?? [];
    if (!roles.some((role) => allowed.includes(role))) {
      throw new GraphError(
        403,
        'Authorization_RequestDenied',
        `Insufficient privileges to complete the operation. Needs one of: ${allowed.join(', ')}.`,
      );
    }
  }
}

function aadError(error: string, description: string, code: number): Json {
  return {
    error,
    error_description: description,
    error_codes: [code],
    timestamp: new Date().toISOString(),
    trace_id: randomUUID(),
    correlation_id: randomUUID(),
  };
}
