// The Graph client with app-only credentials: ClientSecretCredential against the configured authority, the
// token attached for the configured Graph host (https://learn.microsoft.com/graph/sdks/national-clouds).

import { ClientSecretCredential } from '@azure/identity';
import { Client, MiddlewareFactory } from '@microsoft/microsoft-graph-client';
import { TokenCredentialAuthenticationProvider } from '@microsoft/microsoft-graph-client/authProviders/azureTokenCredentials/index.js';
import { SharedTokenCredential } from './shared-token.js';
import { WriteThrottleGate } from './write-throttle.js';

export interface GraphClientOptions {
  tenantId: string;
  clientId: string;
  clientSecret: string;
  authorityHost: string;
  disableInstanceDiscovery: boolean;
  /** Graph root without a version, e.g. https://graph.microsoft.com */
  baseUrl: string;
  /** The bot's clock, which Graph's Retry-After is counted on; the system clock by default. */
  now?: () => number;
}

export function createGraphClient(options: GraphClientOptions): Client {
  const credential = new SharedTokenCredential(
    new ClientSecretCredential(options.tenantId, options.clientId, options.clientSecret, {
      authorityHost: options.authorityHost,
      disableInstanceDiscovery: options.disableInstanceDiscovery,
    }),
  );
  const root = new URL(options.baseUrl);
  // App-only tokens are asked for the resource's .default scope; national clouds have their own Graph host.
  const authProvider = new TokenCredentialAuthenticationProvider(credential, { scopes: [`${root.origin}/.default`] });
  // The SDK's own chain, behind the write gate: a write held back never asks for a token or reaches the network.
  const middleware = [new WriteThrottleGate(options.now ?? Date.now), ...MiddlewareFactory.getDefaultMiddlewareChain(authProvider)];
  return Client.initWithMiddleware({
    middleware,
    baseUrl: `${root.origin}/`,
    defaultVersion: 'v1.0',
    // The SDK attaches the token only to hosts it knows; customHosts takes host names without port.
    customHosts: new Set([root.hostname]),
  });
}
