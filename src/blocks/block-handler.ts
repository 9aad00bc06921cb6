/**
 * The one signature every block implementation has, wherever it runs (CPU blocks inside the worker,
 * GPU blocks inside the gpu-worker). Inputs arrive resolved (selectors already replaced by values) and
 * the config already parsed by the block's schema, defaults applied.
 */
export interface BlockContext {
  /** Aborted when the node is cancelled or times out; long work should stop promptly. */
  signal: AbortSignal;
  /** 1 for the first execution of this node in its run, 2 for the next, ... */
  attempt: number;
  /** Reports progress in [0, 1]; cheap, may be called often. */
  reportProgress(progress: number): void;
}

export type BlockInputs = Readonly<Record<string, unknown>>;
export type BlockOutputs = Record<string, unknown>;

/** Throws a NodeExecutionError (src/core/errors) to say whether a retry may help; anything else is retryable. */
export type BlockHandler<Config = unknown> = (inputs: BlockInputs, config: Config, ctx: BlockContext) => Promise<BlockOutputs>;
