// Builders for Director data as the Director client delivers it (all pages joined).

import type {
  DirectorAPIDefinition,
  DirectorApplication,
  DirectorAuth,
  DirectorBundle,
  DirectorEventDefinition,
} from '../../adapters/compass/director-types.js';
import type { ConversionOptions } from '../../src/applications/converter.js';

export const options: ConversionOptions = {
  centralGatewayUrl: 'http://central-application-gateway.kyma-system:8082',
  skipAppsTlsVerify: false,
  integrationNamespace: 'kyma-system',
};

export function api(id: string, name: string, targetURL = `https://target.example/${id}`): DirectorAPIDefinition {
  return { id, name, targetURL };
}

export function event(id: string, name: string): DirectorEventDefinition {
  return { id, name };
}

export function bundle(id: string, name: string, extra: Partial<DirectorBundle> = {}): DirectorBundle {
  return {
    id,
    name,
    description: `${name} description`,
    instanceAuthRequestInputSchema: null,
    apiDefinitions: [],
    eventDefinitions: [],
    defaultInstanceAuth: null,
    ...extra,
  };
}

export function basicAuth(username: string, password: string, extra: Partial<DirectorAuth> = {}): DirectorAuth {
  return {
    credential: { __typename: 'BasicCredentialData', username, password },
    additionalHeaders: null,
    additionalQueryParams: null,
    requestAuth: null,
    ...extra,
  };
}

export function oauth(clientId: string, clientSecret: string, url: string, extra: Partial<DirectorAuth> = {}): DirectorAuth {
  return {
    credential: { __typename: 'OAuthCredentialData', clientId, clientSecret, url },
    additionalHeaders: null,
    additionalQueryParams: null,
    requestAuth: null,
    ...extra,
  };
}

export function application(id: string, name: string, extra: Partial<DirectorApplication> = {}): DirectorApplication {
  return {
    id,
    name,
    description: `${name} description`,
    auths: [{ id: `${id}-auth` }],
    bundles: [],
    ...extra,
  };
}

export function decode(base64: string | undefined): string {
  return Buffer.from(base64 ?? '', 'base64').toString('utf8');
}
