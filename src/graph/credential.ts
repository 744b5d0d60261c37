/**
 * Credentials for Microsoft Graph. An app may pass its own `@azure/identity` credential (any
 * object with `getToken`), or describe one and let labelgate build it. `@azure/identity` is an
 * optional peer dependency: it is imported only when a credential has to be built.
 */
import { LabelgateError } from '../errors.js';
import { isGuid, normalizeGuid } from '../evaluate/msip.js';
import type { GraphCloud } from './clouds.js';

/** `@azure/core-auth` AccessToken (structurally). */
export interface AccessToken {
  token: string;
  expiresOnTimestamp: number;
}

/**
 * `@azure/core-auth` TokenCredential (structurally): every `@azure/identity` credential is one.
 * Declared here so labelgate's types do not depend on the optional package.
 */
export interface TokenCredential {
  getToken(scopes: string | string[], options?: object): Promise<AccessToken | null>;
}

/** A credential labelgate builds with `@azure/identity` for the configured cloud. */
export type GraphCredentialSpec =
  | { kind: 'clientSecret'; tenantId: string; clientId: string; clientSecret: string }
  | {
      kind: 'clientCertificate';
      tenantId: string;
      clientId: string;
      /** Path to a PEM file holding the certificate and its private key. */
      certificatePath?: string;
      /** Or the PEM text itself. */
      certificate?: string;
      certificatePassword?: string;
      /** Send the x5c chain (subject name / issuer authentication). */
      sendCertificateChain?: boolean;
    }
  | { kind: 'managedIdentity'; /** A user-assigned identity's client id; omit for system-assigned. */ clientId?: string }
  | { kind: 'default'; tenantId?: string; managedIdentityClientId?: string };

export type GraphCredentialOption = TokenCredential | GraphCredentialSpec;

const KINDS = ['clientSecret', 'clientCertificate', 'managedIdentity', 'default'] as const;
const TENANT = /^(?:[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|[a-z0-9][a-z0-9.-]{0,252}\.[a-z]{2,63})$/i;

export function isTokenCredential(value: unknown): value is TokenCredential {
  return typeof value === 'object' && value !== null && typeof (value as TokenCredential).getToken === 'function';
}

function configError(message: string): LabelgateError {
  return new LabelgateError('GRAPH_CONFIG', `graph.credential: ${message}`);
}

function requireString(spec: Record<string, unknown>, field: string, check?: RegExp | ((v: string) => boolean), what?: string): void {
  const v = spec[field];
  if (typeof v !== 'string' || v.trim() === '') throw configError(`${String(spec.kind)} needs ${field}`);
  // Never echo the value: it may be a secret.
  const ok = !check || (typeof check === 'function' ? check(v.trim()) : check.test(v.trim()));
  if (!ok) throw configError(`${field} must be ${what}`);
}

/** Check a credential option without building anything (runs in `createLabeler`, so mistakes show at start-up). */
export function validateCredentialOption(value: unknown): GraphCredentialOption {
  if (isTokenCredential(value)) return value;
  if (typeof value !== 'object' || value === null) {
    throw configError(
      `expected a TokenCredential (e.g. new DefaultAzureCredential()) or { kind: ${KINDS.map((k) => `"${k}"`).join(' | ')}, ... }`,
    );
  }
  const spec = value as Record<string, unknown>;
  switch (spec.kind) {
    case 'clientSecret':
      requireString(spec, 'tenantId', TENANT, 'a directory (tenant) id GUID or a domain such as contoso.onmicrosoft.com');
      requireString(spec, 'clientId', isGuid, 'the application (client) id GUID');
      requireString(spec, 'clientSecret');
      break;
    case 'clientCertificate': {
      requireString(spec, 'tenantId', TENANT, 'a directory (tenant) id GUID or a domain such as contoso.onmicrosoft.com');
      requireString(spec, 'clientId', isGuid, 'the application (client) id GUID');
      const sources = ['certificatePath', 'certificate'].filter((f) => typeof spec[f] === 'string' && (spec[f] as string).trim() !== '');
      if (sources.length !== 1) throw configError('clientCertificate needs exactly one of certificatePath or certificate (PEM)');
      break;
    }
    case 'managedIdentity':
      if (spec.clientId !== undefined) requireString(spec, 'clientId', isGuid, 'the user-assigned identity client id GUID');
      break;
    case 'default':
      if (spec.tenantId !== undefined) requireString(spec, 'tenantId', TENANT, 'a directory (tenant) id GUID or domain');
      if (spec.managedIdentityClientId !== undefined) requireString(spec, 'managedIdentityClientId', isGuid, 'a client id GUID');
      break;
    default:
      throw configError(`unknown kind ${JSON.stringify(spec.kind)}; use ${KINDS.map((k) => `"${k}"`).join(', ')}, or pass a TokenCredential`);
  }
  return spec as GraphCredentialSpec;
}

/**
 * The directory (tenant) id a credential description names, when it is a GUID (a domain name such
 * as contoso.onmicrosoft.com is not: MSIP metadata carries the GUID). Credential objects are opaque.
 */
export function credentialTenantId(option: GraphCredentialOption): string | undefined {
  if (isTokenCredential(option)) return undefined;
  const tenant = (option as { tenantId?: unknown }).tenantId;
  return typeof tenant === 'string' ? normalizeGuid(tenant) : undefined;
}

type IdentityModule = typeof import('@azure/identity');

let identityModule: Promise<IdentityModule> | undefined;

/** Import `@azure/identity` once; a missing package becomes an actionable GRAPH_CONFIG error. */
export function loadIdentity(): Promise<IdentityModule> {
  identityModule ??= import('@azure/identity').catch((err: unknown) => {
    identityModule = undefined;
    const code = (err as NodeJS.ErrnoException | null)?.code;
    if (code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND') {
      throw new LabelgateError(
        'GRAPH_CONFIG',
        'graph.credential: building a credential needs the optional package @azure/identity, which is not installed. ' +
          'Run "npm i @azure/identity", or pass your own TokenCredential object.',
        { cause: err },
      );
    }
    throw new LabelgateError('GRAPH_CONFIG', `graph.credential: @azure/identity failed to load: ${(err as Error)?.message ?? String(err)}`, {
      cause: err,
    });
  });
  return identityModule;
}

/** The options handed to `@azure/identity` for a spec (pure; exported for tests). */
export function identityOptions(spec: GraphCredentialSpec, cloud: GraphCloud): Record<string, unknown> {
  switch (spec.kind) {
    case 'clientSecret':
      return { authorityHost: cloud.authorityHost };
    case 'clientCertificate':
      return { authorityHost: cloud.authorityHost, ...(spec.sendCertificateChain ? { sendCertificateChain: true } : {}) };
    case 'managedIdentity':
      return spec.clientId ? { clientId: spec.clientId } : {};
    case 'default':
      return {
        authorityHost: cloud.authorityHost,
        ...(spec.tenantId ? { tenantId: spec.tenantId } : {}),
        ...(spec.managedIdentityClientId ? { managedIdentityClientId: spec.managedIdentityClientId } : {}),
      };
  }
}

/** The credential to use: the app's own, or one built from a spec for the given cloud. */
export async function resolveCredential(option: GraphCredentialOption, cloud: GraphCloud): Promise<TokenCredential> {
  if (isTokenCredential(option)) return option;
  const id = await loadIdentity();
  const opts = identityOptions(option, cloud);
  switch (option.kind) {
    case 'clientSecret':
      return new id.ClientSecretCredential(option.tenantId.trim(), option.clientId.trim(), option.clientSecret, opts);
    case 'clientCertificate': {
      const password = option.certificatePassword ? { certificatePassword: option.certificatePassword } : {};
      const tenant = option.tenantId.trim();
      const client = option.clientId.trim();
      return option.certificatePath
        ? new id.ClientCertificateCredential(tenant, client, { certificatePath: option.certificatePath, ...password }, opts)
        : new id.ClientCertificateCredential(tenant, client, { certificate: option.certificate!, ...password }, opts);
    }
    case 'managedIdentity':
      return new id.ManagedIdentityCredential(opts);
    case 'default':
      return new id.DefaultAzureCredential(opts);
  }
}
