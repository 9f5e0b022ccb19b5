/**
 * Clinical terminology for the coded-entry pickers: the value sets, search words, the curated demo
 * subset, and reading SNOMED CT RF2 and dm+d releases. Pure: the server streams the files.
 */
export * from './value-sets.js';
export * from './search-words.js';
export * from './demo-subset.js';
export * from './rf2.js';
export * from './dmd.js';
