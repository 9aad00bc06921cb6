import type { BlockHandler } from '../../../src/blocks/block-handler';
import { BlockType } from '../../../src/core/blocks';
import { debugSleep } from './debug-sleep';

/** Every block this worker runs: the model blocks plus debug.sleep. */
export function gpuBlockHandlers(modelHandlers: ReadonlyMap<string, BlockHandler>): ReadonlyMap<string, BlockHandler> {
  return new Map<string, BlockHandler>([...modelHandlers, [BlockType.DebugSleep, debugSleep as BlockHandler]]);
}
