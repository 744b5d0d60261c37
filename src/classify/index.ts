/**
 * The classifier: built-in sensitive information types, custom types, streaming scanner.
 */
export { createScanner } from './scanner.js';
export { classify, feedScanner } from './classify.js';
export { CATALOG, type CatalogEntry } from './catalog.js';
export { maskValue, maskKeeping } from './context.js';
export { checkCustomPattern } from './pattern-safety.js';
export type { ClassifyInput, ClassifyOptions, MatchExplanation, Scanner, ScannerOptions } from './api.js';
