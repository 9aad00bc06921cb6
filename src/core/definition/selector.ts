/**
 * Selectors name where a value comes from: a run input (`$inputs.image`) or a node's output port
 * (`$nodes.text.boxes`). Edges of the DAG are implied by them.
 */
export enum SelectorSource {
  Input = 'input',
  Node = 'node',
}

export type Selector =
  { source: SelectorSource.Input; input: string } | { source: SelectorSource.Node; nodeId: string; port: string };

const NAME = '[A-Za-z_][A-Za-z0-9_-]{0,63}';
const INPUT_SELECTOR = new RegExp(`^\\$inputs\\.(${NAME})$`);
const NODE_SELECTOR = new RegExp(`^\\$nodes\\.(${NAME})\\.(${NAME})$`);

/** Returns the parsed selector, or undefined when `text` is not one. */
export function parseSelector(text: unknown): Selector | undefined {
  if (typeof text !== 'string') return undefined;
  const input = INPUT_SELECTOR.exec(text);
  if (input?.[1] !== undefined) return { source: SelectorSource.Input, input: input[1] };
  const node = NODE_SELECTOR.exec(text);
  if (node?.[1] !== undefined && node[2] !== undefined) return { source: SelectorSource.Node, nodeId: node[1], port: node[2] };
  return undefined;
}

export function formatSelector(selector: Selector): string {
  return selector.source === SelectorSource.Input ? `$inputs.${selector.input}` : `$nodes.${selector.nodeId}.${selector.port}`;
}

export const NODE_ID_PATTERN = /^[A-Za-z_][A-Za-z0-9_-]{0,63}$/;
