/**
 * The Microsoft Graph JavaScript SDK, loaded on first use so that apps on the local engine never
 * pay for it. The TokenCredentialAuthenticationProvider is imported from its `index.js` file:
 * the SDK has no `exports` map and Node's ESM loader refuses the directory import the SDK's docs
 * show (msgraph-sdk-javascript#1377).
 */
type SdkCore = typeof import('@microsoft/microsoft-graph-client');
type SdkAuth = typeof import('@microsoft/microsoft-graph-client/authProviders/azureTokenCredentials/index.js');

export interface GraphSdk {
  Client: SdkCore['Client'];
  AuthenticationHandler: SdkCore['AuthenticationHandler'];
  RedirectHandler: SdkCore['RedirectHandler'];
  TelemetryHandler: SdkCore['TelemetryHandler'];
  HTTPMessageHandler: SdkCore['HTTPMessageHandler'];
  TokenCredentialAuthenticationProvider: SdkAuth['TokenCredentialAuthenticationProvider'];
}

export type GraphSdkClient = import('@microsoft/microsoft-graph-client').Client;

let sdk: Promise<GraphSdk> | undefined;

export function loadGraphSdk(): Promise<GraphSdk> {
  sdk ??= Promise.all([
    import('@microsoft/microsoft-graph-client'),
    import('@microsoft/microsoft-graph-client/authProviders/azureTokenCredentials/index.js'),
  ]).then(([core, auth]) => ({
    Client: core.Client,
    AuthenticationHandler: core.AuthenticationHandler,
    RedirectHandler: core.RedirectHandler,
    TelemetryHandler: core.TelemetryHandler,
    HTTPMessageHandler: core.HTTPMessageHandler,
    TokenCredentialAuthenticationProvider: auth.TokenCredentialAuthenticationProvider,
  }));
  return sdk;
}
