// The Graph client with app-only credentials: ClientSecretCredential against the configured authority, the
// token attached for the configured Graph host (https://learn.microsoft.com/graph/sdks/national-clouds).

import { ClientSecretCredential } from '@azure/identity';
import { Client } from '@microsoft/microsoft-graph-client';
import { TokenCredentialAuthenticationProvider } from '@microsoft/microsoft-graph-client/authProviders/azureTokenCredentials/index.js';

export interface GraphClientOptions {
  tenantId: string;
  clientId: string;
  clientSecret: string;
  authorityHost: string;
  disableInstanceDiscovery: boolean;
  /** Graph root without a version, e.g. https://graph.microsoft.com */
  baseUrl: string;
}

export function createGraphClient(options: GraphClientOptions): Client {
  const credential = new ClientSecretCredential(options.tenantId, options.clientId, options.clientSecret, {
    authorityHost: options.authorityHost,
    disableInstanceDiscovery: options.disableInstanceDiscovery,
  });
  const root = new URL(options.baseUrl);
  // App-only tokens are asked for the resource's .default scope; national clouds have their own Graph host.
  const authProvider = new TokenCredentialAuthenticationProvider(credential, { scopes: [`${root.origin}/.default`] });
  return Client.initWithMiddleware({
    authProvider,
    baseUrl: `${root.origin}/`,
    defaultVersion: 'v1.0',
    // The SDK attaches the token only to hosts it knows; customHosts takes host names without port.
    customHosts: new Set([root.hostname]),
  });
}
