#!/usr/bin/env node
/**
 * Label with your Microsoft 365 tenant's sensitivity labels (Microsoft Purview) instead of a local
 * policy file: list the labels your app may apply, then ask Graph which label a report with three
 * credit card numbers gets.
 *
 *   npm run build
 *   AZURE_TENANT_ID=<directory id> AZURE_CLIENT_ID=<app id> AZURE_CLIENT_SECRET=<secret> \
 *     node examples/graph-tenant.mjs
 *
 * Optional:
 *   LABELGATE_GRAPH_CLOUD     global (default) | usgovL4 | usgovL5 | china
 *   LABELGATE_GRAPH_USER      evaluate with this user's label policy (UPN or object id)
 *   LABELGATE_GRAPH_BASE_URL  another Graph root, e.g. an emulator (https only)
 *   LABELGATE_GRAPH_TOKEN     a ready bearer token instead of the client secret (emulators, quick tests)
 *
 * The app registration needs the Microsoft Graph application permission
 * InformationProtectionPolicy.Read.All with admin consent (see the README, "Use your Microsoft 365 tenant").
 */
import { createLabeler, isLabelgateError, SIT } from 'labelgate';

const env = process.env;

function credentialFromEnv() {
  if (env.LABELGATE_GRAPH_TOKEN) {
    // Any object with getToken is a TokenCredential; @azure/identity is not needed for this one.
    return { getToken: async () => ({ token: env.LABELGATE_GRAPH_TOKEN, expiresOnTimestamp: Date.now() + 3_600_000 }) };
  }
  if (env.AZURE_TENANT_ID && env.AZURE_CLIENT_ID && env.AZURE_CLIENT_SECRET) {
    return { kind: 'clientSecret', tenantId: env.AZURE_TENANT_ID, clientId: env.AZURE_CLIENT_ID, clientSecret: env.AZURE_CLIENT_SECRET };
  }
  return undefined;
}

const credential = credentialFromEnv();
if (!credential) {
  process.stderr.write(
    'graph-tenant: no credentials. Set AZURE_TENANT_ID, AZURE_CLIENT_ID and AZURE_CLIENT_SECRET for an app registration\n' +
      'that has the Microsoft Graph application permission InformationProtectionPolicy.Read.All (admin consent granted),\n' +
      'or LABELGATE_GRAPH_TOKEN (with LABELGATE_GRAPH_BASE_URL) for an emulator. See the README, "Use your Microsoft 365 tenant".\n',
  );
  process.exit(2);
}

const labeler = createLabeler({
  graph: {
    credential,
    ...(env.LABELGATE_GRAPH_CLOUD ? { cloud: env.LABELGATE_GRAPH_CLOUD } : {}),
    ...(env.LABELGATE_GRAPH_BASE_URL ? { baseUrl: env.LABELGATE_GRAPH_BASE_URL } : {}),
    ...(env.LABELGATE_GRAPH_USER ? { user: true } : {}),
    timeoutMs: 10_000,
  },
});
const ctx = env.LABELGATE_GRAPH_USER ? { user: env.LABELGATE_GRAPH_USER } : {};

try {
  const labels = await labeler.listLabels(ctx);
  const settings = await labeler.policySettings(ctx);
  console.log(`${labels.length} sensitivity labels${ctx.user ? ` for ${ctx.user}` : ''}:`);
  for (const l of [...labels].sort((a, b) => a.sensitivity - b.sensitivity)) {
    const notes = [l.isAppliable ? '' : 'parent', l.isActive ? '' : 'inactive', l.id === settings.defaultLabelId ? 'default' : ''].filter(Boolean);
    console.log(`  ${String(l.sensitivity).padStart(3)}  ${l.parent ? `${l.parent.name} \\ ` : ''}${l.name}${notes.length ? `  (${notes.join(', ')})` : ''}`);
  }
  const actions = await labeler.evaluateClassificationResults(
    { contentFormat: 'file', identifier: 'quarterly-payments.csv', state: 'rest', metadata: [] },
    [{ sensitiveTypeId: SIT.creditCard, count: 3, confidenceLevel: 85 }],
    ctx,
  );
  console.log('\nA report with 3 credit card numbers gets these actions:');
  console.log(JSON.stringify(actions, null, 2));
} catch (err) {
  if (!isLabelgateError(err)) throw err;
  process.stderr.write(`graph-tenant: ${err.code}: ${err.message}\n`);
  process.exitCode = 1;
} finally {
  await labeler.close();
}
