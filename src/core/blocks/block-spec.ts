import type { z } from 'zod';
import type { PortKind } from '../values';

/** Where a block runs: GPU blocks go through the RunPod endpoint API, CPU blocks inside the worker. */
export enum BlockRuntime {
  Gpu = 'GPU',
  Cpu = 'CPU',
}

export interface PortSpec {
  name: string;
  kind: PortKind;
  required: boolean;
  description?: string;
}

/** What a block takes, gives and accepts as configuration. `config` validates and fills defaults. */
export interface BlockSpec<Config = unknown> {
  type: string;
  description: string;
  runtime: BlockRuntime;
  inputs: readonly PortSpec[];
  outputs: readonly PortSpec[];
  config: z.ZodType<Config>;
}
