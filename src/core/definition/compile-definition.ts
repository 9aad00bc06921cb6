import type { BlockSpec, PortSpec } from '../blocks';
import { InvalidDefinitionError, type DefinitionIssue } from '../errors';
import { resolveRetryPolicy, type RetryPolicy } from '../retry-policy';
import { PortKind, isPortKind, kindsCompatible, PORT_KINDS } from '../values';
import type { CompiledDefinition, CompiledInputBinding, CompiledNode } from './compiled-definition';
import { DEFAULT_DEFINITION_LIMITS, type DefinitionLimits } from './definition-limits';
import { NODE_ID_PATTERN, SelectorSource, parseSelector, type Selector } from './selector';
import type { NodeDefinition, RetryPolicyInput, WorkflowDefinition } from './types';
import { isRecord } from '../is-record';

const TOP_LEVEL_KEYS = new Set(['inputs', 'nodes', 'outputs', 'defaults', 'maxParallelNodes', 'deadlineMs']);
const NODE_KEYS = new Set(['id', 'block', 'inputs', 'config', 'retry', 'timeoutMs', 'when', 'allowFailure']);
const RETRY_KEYS = new Set(['maxAttempts', 'initialBackoffMs', 'maxBackoffMs']);
const DEFAULTS_KEYS = new Set(['retry', 'timeoutMs']);
/** A node may not wait longer than a day: longer is a typo, and it would pin a worker slot. */
const MAX_TIMEOUT_MS = 86_400_000;
const MAX_ATTEMPTS = 100;

type Catalog = ReadonlyMap<string, BlockSpec>;

/** JSON path segment for a key: `a.b` for identifiers, `a["odd key"]` otherwise. */
const key = (base: string, name: string): string =>
  /^[A-Za-z_$][A-Za-z0-9_$]*$/.test(name) ? (base ? `${base}.${name}` : name) : `${base}[${JSON.stringify(name)}]`;

/** A first pass that needs only the node list: ids and their positions. */
interface NodeIndex {
  byId: Map<string, { index: number; spec: BlockSpec | undefined }>;
}

/**
 * Validates a workflow definition against the block catalog and limits, and compiles it for the
 * scheduler. Collects every issue it can find (each with the JSON path of the offending part) and
 * throws one InvalidDefinitionError listing them, so a user fixes a definition in one round trip.
 */
export function compileDefinition(
  raw: unknown,
  catalog: Catalog,
  limits: DefinitionLimits = DEFAULT_DEFINITION_LIMITS,
): CompiledDefinition {
  const issues: DefinitionIssue[] = [];
  const fail = (path: string, message: string): void => {
    issues.push({ path, message });
  };

  if (!isRecord(raw)) throw new InvalidDefinitionError([{ path: '$', message: 'the definition must be a JSON object' }]);
  const size = Buffer.byteLength(JSON.stringify(raw), 'utf8');
  if (size > limits.maxDefinitionBytes) {
    throw new InvalidDefinitionError([
      { path: '$', message: `the definition is ${size} bytes; the limit is ${limits.maxDefinitionBytes}` },
    ]);
  }
  for (const k of Object.keys(raw)) if (!TOP_LEVEL_KEYS.has(k)) fail(key('', k), `unknown field "${k}"`);

  const inputs = compileRunInputs(raw.inputs, fail);
  const defaults = compileDefaults(raw.defaults, fail);
  const maxParallelNodes = optionalInt(raw.maxParallelNodes, 'maxParallelNodes', 1, 10_000, fail);
  const deadlineMs = optionalInt(raw.deadlineMs, 'deadlineMs', 1, 7 * MAX_TIMEOUT_MS, fail);

  const rawNodes = raw.nodes;
  if (!Array.isArray(rawNodes)) {
    fail('nodes', 'must be a list of nodes');
    throw new InvalidDefinitionError(issues);
  }
  if (rawNodes.length === 0) fail('nodes', 'a workflow needs at least one node');
  if (rawNodes.length > limits.maxNodes) {
    fail('nodes', `has ${rawNodes.length} nodes; the limit is ${limits.maxNodes}`);
    throw new InvalidDefinitionError(issues);
  }

  const index = indexNodes(rawNodes, catalog, fail);
  const compiled = new Map<string, CompiledNode>();
  rawNodes.forEach((rawNode, i) => {
    const node = compileNode(rawNode, i, index, inputs, defaults, catalog, fail);
    if (node && !compiled.has(node.id)) compiled.set(node.id, node);
  });

  const outputs = compileOutputs(raw.outputs, index, inputs, fail);
  if (issues.length > 0) throw new InvalidDefinitionError(issues);

  const withDependants = linkDependants(compiled);
  const order = topologicalOrder(withDependants, fail);
  if (issues.length > 0) throw new InvalidDefinitionError(issues);

  return {
    source: raw as unknown as WorkflowDefinition,
    inputs,
    nodes: withDependants,
    order,
    outputs,
    maxParallelNodes,
    deadlineMs,
  };
}

type Fail = (path: string, message: string) => void;

function optionalInt(v: unknown, path: string, min: number, max: number, fail: Fail): number | undefined {
  if (v === undefined) return undefined;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) {
    fail(path, `must be an integer from ${min} to ${max}`);
    return undefined;
  }
  return v;
}

function compileRunInputs(v: unknown, fail: Fail): Map<string, PortKind> {
  const inputs = new Map<string, PortKind>();
  if (v === undefined) return inputs;
  if (!isRecord(v)) {
    fail('inputs', 'must be an object mapping input names to port kinds');
    return inputs;
  }
  for (const [name, kind] of Object.entries(v)) {
    const path = key('inputs', name);
    if (!NODE_ID_PATTERN.test(name)) fail(path, `input name must match ${NODE_ID_PATTERN.source}`);
    else if (!isPortKind(kind)) fail(path, `unknown port kind ${JSON.stringify(kind)}; one of ${PORT_KINDS.join(', ')}`);
    else inputs.set(name, kind);
  }
  return inputs;
}

function compileRetry(v: unknown, path: string, fail: Fail): RetryPolicyInput | undefined {
  if (v === undefined) return undefined;
  if (!isRecord(v)) {
    fail(path, 'must be an object with maxAttempts, initialBackoffMs and maxBackoffMs');
    return undefined;
  }
  for (const k of Object.keys(v)) if (!RETRY_KEYS.has(k)) fail(key(path, k), `unknown field "${k}"`);
  const out: RetryPolicyInput = {};
  const maxAttempts = optionalInt(v.maxAttempts, `${path}.maxAttempts`, 1, MAX_ATTEMPTS, fail);
  const initialBackoffMs = optionalInt(v.initialBackoffMs, `${path}.initialBackoffMs`, 0, MAX_TIMEOUT_MS, fail);
  const maxBackoffMs = optionalInt(v.maxBackoffMs, `${path}.maxBackoffMs`, 0, MAX_TIMEOUT_MS, fail);
  if (maxAttempts !== undefined) out.maxAttempts = maxAttempts;
  if (initialBackoffMs !== undefined) out.initialBackoffMs = initialBackoffMs;
  if (maxBackoffMs !== undefined) out.maxBackoffMs = maxBackoffMs;
  if (initialBackoffMs !== undefined && maxBackoffMs !== undefined && maxBackoffMs < initialBackoffMs) {
    fail(`${path}.maxBackoffMs`, 'must not be less than initialBackoffMs');
  }
  return out;
}

function compileDefaults(v: unknown, fail: Fail): { retry?: RetryPolicyInput; timeoutMs?: number } {
  if (v === undefined) return {};
  if (!isRecord(v)) {
    fail('defaults', 'must be an object');
    return {};
  }
  for (const k of Object.keys(v)) if (!DEFAULTS_KEYS.has(k)) fail(key('defaults', k), `unknown field "${k}"`);
  const out: { retry?: RetryPolicyInput; timeoutMs?: number } = {};
  const retry = compileRetry(v.retry, 'defaults.retry', fail);
  const timeoutMs = optionalInt(v.timeoutMs, 'defaults.timeoutMs', 1, MAX_TIMEOUT_MS, fail);
  if (retry) out.retry = retry;
  if (timeoutMs !== undefined) out.timeoutMs = timeoutMs;
  return out;
}

function indexNodes(rawNodes: unknown[], catalog: Catalog, fail: Fail): NodeIndex {
  const byId = new Map<string, { index: number; spec: BlockSpec | undefined }>();
  rawNodes.forEach((n, i) => {
    const path = `nodes[${i}]`;
    if (!isRecord(n)) {
      fail(path, 'must be an object with id and block');
      return;
    }
    if (typeof n.id !== 'string' || !NODE_ID_PATTERN.test(n.id)) {
      fail(`${path}.id`, `node id must be a string matching ${NODE_ID_PATTERN.source}`);
      return;
    }
    const previous = byId.get(n.id);
    if (previous) {
      fail(`${path}.id`, `duplicate node id "${n.id}" (first used by nodes[${previous.index}])`);
      return;
    }
    byId.set(n.id, { index: i, spec: typeof n.block === 'string' ? catalog.get(n.block) : undefined });
  });
  return { byId };
}

/** The kind a selector yields, or undefined (after reporting why) when it points nowhere. */
function selectorKind(
  text: unknown,
  path: string,
  index: NodeIndex,
  inputs: ReadonlyMap<string, PortKind>,
  fail: Fail,
): { selector: Selector; kind: PortKind } | undefined {
  const selector = parseSelector(text);
  if (!selector) {
    fail(path, `not a selector: ${JSON.stringify(text)}; expected "$inputs.<name>" or "$nodes.<nodeId>.<port>"`);
    return undefined;
  }
  if (selector.source === SelectorSource.Input) {
    const kind = inputs.get(selector.input);
    if (kind === undefined) {
      fail(path, `selects run input "${selector.input}", which the definition's inputs do not declare`);
      return undefined;
    }
    return { selector, kind };
  }
  const target = index.byId.get(selector.nodeId);
  if (!target) {
    fail(path, `selects node "${selector.nodeId}", which does not exist`);
    return undefined;
  }
  if (!target.spec) return undefined; // the unknown block is reported on the target node itself
  const port = target.spec.outputs.find((p) => p.name === selector.port);
  if (!port) {
    const names = target.spec.outputs.map((p) => p.name).join(', ');
    fail(path, `node "${selector.nodeId}" (${target.spec.type}) has no output "${selector.port}"; it has ${names}`);
    return undefined;
  }
  return { selector, kind: port.kind };
}

/** The kind of each element a list-valued port receives, when the port takes lists at all. */
function elementKindOf(kind: PortKind): PortKind | undefined {
  switch (kind) {
    case PortKind.Images:
      return PortKind.Image;
    case PortKind.Any:
    case PortKind.Json:
      return PortKind.Any;
    default:
      return undefined;
  }
}

function compileBinding(
  port: PortSpec,
  value: unknown,
  path: string,
  index: NodeIndex,
  inputs: ReadonlyMap<string, PortKind>,
  fail: Fail,
): CompiledInputBinding | undefined {
  if (Array.isArray(value)) {
    const elementKind = elementKindOf(port.kind);
    if (elementKind === undefined) {
      fail(path, `port "${port.name}" of kind ${port.kind} takes one value, not a list of selectors`);
      return undefined;
    }
    if (value.length === 0) {
      fail(path, 'a list of selectors must not be empty');
      return undefined;
    }
    const selectors: Selector[] = [];
    value.forEach((item, j) => {
      const found = selectorKind(item, `${path}[${j}]`, index, inputs, fail);
      if (!found) return;
      if (!kindsCompatible(found.kind, elementKind)) {
        fail(`${path}[${j}]`, `yields ${found.kind}, but each item of port "${port.name}" must be ${elementKind}`);
        return;
      }
      selectors.push(found.selector);
    });
    return selectors.length === value.length ? { port: port.name, selectors, list: true } : undefined;
  }
  const found = selectorKind(value, path, index, inputs, fail);
  if (!found) return undefined;
  if (!kindsCompatible(found.kind, port.kind)) {
    fail(path, `yields ${found.kind}, but port "${port.name}" takes ${port.kind}`);
    return undefined;
  }
  return { port: port.name, selectors: [found.selector], list: false };
}

function compileNode(
  raw: unknown,
  i: number,
  index: NodeIndex,
  inputs: ReadonlyMap<string, PortKind>,
  defaults: { retry?: RetryPolicyInput; timeoutMs?: number },
  catalog: Catalog,
  fail: Fail,
): CompiledNode | undefined {
  const path = `nodes[${i}]`;
  if (!isRecord(raw)) return undefined; // reported by indexNodes
  const n = raw as Partial<NodeDefinition> & Record<string, unknown>;
  for (const k of Object.keys(n)) if (!NODE_KEYS.has(k)) fail(key(path, k), `unknown field "${k}"`);

  let spec: BlockSpec | undefined;
  if (typeof n.block !== 'string') fail(`${path}.block`, 'must be a block type, e.g. "detect.objects"');
  else {
    spec = catalog.get(n.block);
    if (!spec) fail(`${path}.block`, `unknown block "${n.block}"; known blocks: ${[...catalog.keys()].join(', ')}`);
  }

  const bindings: CompiledInputBinding[] = [];
  if (n.inputs !== undefined && !isRecord(n.inputs)) fail(`${path}.inputs`, 'must be an object mapping ports to selectors');
  const rawInputs = isRecord(n.inputs) ? n.inputs : {};
  if (spec) {
    for (const [portName, value] of Object.entries(rawInputs)) {
      const portPath = key(`${path}.inputs`, portName);
      const port = spec.inputs.find((p) => p.name === portName);
      if (!port) {
        const names = spec.inputs.map((p) => p.name).join(', ') || 'none';
        fail(portPath, `block ${spec.type} has no input "${portName}"; its inputs: ${names}`);
        continue;
      }
      const binding = compileBinding(port, value, portPath, index, inputs, fail);
      if (binding) bindings.push(binding);
    }
    for (const port of spec.inputs) {
      if (port.required && !(port.name in rawInputs)) {
        fail(key(`${path}.inputs`, port.name), `missing required input "${port.name}" (${port.kind})`);
      }
    }
  }

  let config: unknown;
  if (n.config !== undefined && !isRecord(n.config)) fail(`${path}.config`, 'must be an object');
  else if (spec) {
    const parsed = spec.config.safeParse(n.config ?? {});
    if (parsed.success) config = parsed.data;
    else {
      for (const issue of parsed.error.issues) {
        const segments = issue.path.map((s) => (typeof s === 'number' ? `[${s}]` : `.${String(s)}`)).join('');
        fail(`${path}.config${segments}`, issue.message);
      }
    }
  }

  const nodeRetry = compileRetry(n.retry, `${path}.retry`, fail);
  const retry: RetryPolicy = resolveRetryPolicy(nodeRetry, defaults.retry);
  const timeoutMs = optionalInt(n.timeoutMs, `${path}.timeoutMs`, 1, MAX_TIMEOUT_MS, fail) ?? defaults.timeoutMs;

  let when: Selector | undefined;
  if (n.when !== undefined) {
    const found = selectorKind(n.when, `${path}.when`, index, inputs, fail);
    if (found && !kindsCompatible(found.kind, PortKind.Boolean)) {
      fail(`${path}.when`, `yields ${found.kind}; a condition must be boolean`);
    } else if (found) when = found.selector;
  }
  if (n.allowFailure !== undefined && typeof n.allowFailure !== 'boolean') fail(`${path}.allowFailure`, 'must be a boolean');

  if (typeof n.id !== 'string' || !spec || index.byId.get(n.id)?.index !== i) return undefined;
  const deps = new Set<string>();
  for (const b of bindings) for (const s of b.selectors) if (s.source === SelectorSource.Node) deps.add(s.nodeId);
  if (when?.source === SelectorSource.Node) deps.add(when.nodeId);
  return {
    id: n.id,
    index: i,
    block: spec,
    inputs: bindings,
    config,
    retry,
    timeoutMs,
    when,
    allowFailure: n.allowFailure === true,
    dependsOn: [...deps],
    dependants: [],
  };
}

function compileOutputs(v: unknown, index: NodeIndex, inputs: ReadonlyMap<string, PortKind>, fail: Fail): Map<string, Selector> {
  const outputs = new Map<string, Selector>();
  if (v === undefined) return outputs;
  if (!isRecord(v)) {
    fail('outputs', 'must be an object mapping output names to selectors');
    return outputs;
  }
  for (const [name, text] of Object.entries(v)) {
    const found = selectorKind(text, key('outputs', name), index, inputs, fail);
    if (found) outputs.set(name, found.selector);
  }
  return outputs;
}

function linkDependants(nodes: Map<string, CompiledNode>): Map<string, CompiledNode> {
  const dependants = new Map<string, string[]>();
  for (const node of nodes.values()) {
    for (const dep of node.dependsOn) {
      const list = dependants.get(dep) ?? [];
      list.push(node.id);
      dependants.set(dep, list);
    }
  }
  return new Map([...nodes].map(([id, node]) => [id, { ...node, dependants: dependants.get(id) ?? [] }]));
}

/**
 * Kahn's algorithm, ties broken by definition order so the result is deterministic. When nodes are
 * left over they lie on or behind a cycle; one cycle is found and reported at the edge that closes it.
 */
function topologicalOrder(nodes: ReadonlyMap<string, CompiledNode>, fail: Fail): string[] {
  const remaining = new Map<string, number>();
  for (const node of nodes.values()) remaining.set(node.id, node.dependsOn.length);
  const ready = [...nodes.values()].filter((n) => n.dependsOn.length === 0).sort((a, b) => a.index - b.index);
  const order: string[] = [];
  while (ready.length > 0) {
    const node = ready.shift() as CompiledNode;
    order.push(node.id);
    for (const d of node.dependants) {
      const left = (remaining.get(d) ?? 0) - 1;
      remaining.set(d, left);
      if (left === 0) {
        const dependant = nodes.get(d) as CompiledNode;
        const at = ready.findIndex((r) => r.index > dependant.index);
        ready.splice(at === -1 ? ready.length : at, 0, dependant);
      }
    }
  }
  if (order.length === nodes.size) return order;

  const cycle = findCycle(nodes, new Set(order));
  const closing = cycle[cycle.length - 1] as string;
  const first = cycle[0] as string;
  // The edge closing the cycle runs from the last node back to the first: the first node's input selects the last.
  const node = nodes.get(first) as CompiledNode;
  const binding = node.inputs.find((b) => b.selectors.some((s) => s.source === SelectorSource.Node && s.nodeId === closing));
  const path = binding ? key(`nodes[${node.index}].inputs`, binding.port) : `nodes[${node.index}].when`;
  fail(path, `creates a cycle: ${[...cycle, first].join(' -> ')}`);
  return order;
}

/** Walks dependencies from an unordered node until one repeats; returns the cycle in dependency order. */
function findCycle(nodes: ReadonlyMap<string, CompiledNode>, ordered: ReadonlySet<string>): string[] {
  const start = [...nodes.values()].filter((n) => !ordered.has(n.id)).sort((a, b) => a.index - b.index)[0] as CompiledNode;
  const seen = new Map<string, number>();
  const path: string[] = [];
  let current: CompiledNode = start;
  while (!seen.has(current.id)) {
    seen.set(current.id, path.length);
    path.push(current.id);
    const next = current.dependsOn.find((d) => !ordered.has(d)) as string;
    current = nodes.get(next) as CompiledNode;
  }
  // path walks from a node to what it depends on; reverse it so each step reads "feeds", and start
  // at the node defined first, so the report is the same whichever node the walk began with.
  const cycle = path.slice(seen.get(current.id)).reverse();
  const indexOf = (id: string): number => (nodes.get(id) as CompiledNode).index;
  const first = cycle.reduce((best, id, i) => (indexOf(id) < indexOf(cycle[best] as string) ? i : best), 0);
  return [...cycle.slice(first), ...cycle.slice(0, first)];
}
