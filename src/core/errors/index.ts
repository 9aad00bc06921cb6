export * from './error-code';
export * from './switchyard-error';
export * from './invalid-definition-error';
export * from './node-errors';
