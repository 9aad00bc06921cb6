export * from './types';
export * from './selector';
export * from './compiled-definition';
export * from './definition-limits';
export * from './compile-definition';
export * from './compiled-definition-cache';
