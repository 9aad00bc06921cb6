export * from './block-spec';
export * from './catalog';
