/**
 * Microsoft national clouds: each has its own Graph host, its own Entra (login) authority, and a
 * `.default` scope on its own Graph host. Tokens are not interchangeable across clouds, so the
 * three always change together.
 */
import { LabelgateError } from '../errors.js';

export type GraphCloudName = 'global' | 'usgovL4' | 'usgovL5' | 'china';

export interface GraphCloud {
  name: GraphCloudName;
  /** What the cloud is called in Microsoft's documentation. */
  description: string;
  /** Graph root, without an API version. */
  graphUrl: string;
  /** Entra ID authority host (`@azure/identity` `authorityHost`). */
  authorityHost: string;
  /** The scope an app-only token for this cloud's Graph is requested with. */
  scope: string;
}

function cloud(name: GraphCloudName, description: string, graphUrl: string, authorityHost: string): GraphCloud {
  return Object.freeze({ name, description, graphUrl, authorityHost, scope: `${graphUrl}/.default` });
}

export const GRAPH_CLOUDS: Readonly<Record<GraphCloudName, GraphCloud>> = Object.freeze({
  global: cloud('global', 'Global service (including Microsoft 365 GCC)', 'https://graph.microsoft.com', 'https://login.microsoftonline.com'),
  usgovL4: cloud('usgovL4', 'US Government L4 (GCC High)', 'https://graph.microsoft.us', 'https://login.microsoftonline.us'),
  usgovL5: cloud('usgovL5', 'US Government L5 (DoD)', 'https://dod-graph.microsoft.us', 'https://login.microsoftonline.us'),
  china: cloud('china', 'China (operated by 21Vianet)', 'https://microsoftgraph.chinacloudapi.cn', 'https://login.chinacloudapi.cn'),
});

/** Other spellings people use for the same clouds (case-insensitive). */
const ALIASES: Readonly<Record<string, GraphCloudName>> = {
  global: 'global',
  public: 'global',
  gcc: 'global',
  usgovl4: 'usgovL4',
  gcchigh: 'usgovL4',
  usgovl5: 'usgovL5',
  dod: 'usgovL5',
  china: 'china',
  '21vianet': 'china',
};

export function resolveCloud(name: string | undefined): GraphCloud {
  if (name === undefined) return GRAPH_CLOUDS.global;
  const key = typeof name === 'string' ? ALIASES[name.trim().toLowerCase().replace(/[\s_-]/g, '')] : undefined;
  if (!key) {
    throw new LabelgateError(
      'GRAPH_CONFIG',
      `graph.cloud: unknown national cloud ${JSON.stringify(name)}; use one of ${Object.keys(GRAPH_CLOUDS).map((c) => `"${c}"`).join(', ')}`,
    );
  }
  return GRAPH_CLOUDS[key];
}
