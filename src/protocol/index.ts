export * from './codes.js';
export * from './primitive.js';
export * from './parameters.js';
export * from './validate.js';
export * from './errors.js';
export * from './timestamp.js';
export * from './originator.js';
