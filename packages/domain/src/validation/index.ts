export { validateResource, type ValidateResourceOptions } from './validate-resource.js';
export { DEFAULT_MAX_DEPTH } from './json-depth.js';
export { isR4ResourceType, warmUpValidation } from './resource-validators.js';
export { findNestingTooDeep } from './json-depth.js';
