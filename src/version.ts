/** The package version (kept equal to package.json by a test); sent in Graph's User-Agent. */
export const VERSION = '0.1.0';
