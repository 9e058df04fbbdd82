// Sums a V8 heap snapshot (the .heapsnapshot JSON that v8.writeHeapSnapshot writes) two ways: by kind of object,
// and the code of each package — its source text, which V8 keeps for lazy compilation, plus its functions'
// compiled forms (bytecode, scope infos, feedback metadata) that nothing else holds. Data a module allocates is
// not attributed: nothing in a snapshot says which module made an object.
// Format: https://github.com/v8/v8/blob/main/include/v8-profiler.h (HeapGraphNode, HeapGraphEdge), one flat
// array of nodes and one of edges, each row as long as its meta fields.

import { readFileSync } from 'node:fs';

interface Snapshot {
  snapshot: {
    meta: {
      node_fields: string[];
      node_types: [string[], ...unknown[]];
      edge_fields: string[];
      edge_types: [string[], ...unknown[]];
    };
  };
  nodes: number[];
  edges: number[];
  strings: string[];
}

/** The package a script belongs to: `zod`, `@slack/bolt`, the bot's own folder, or Node's built-ins. */
export function packageOf(scriptName: string): string {
  const path = scriptName.replace(/^file:\/\//, '');
  const inModules = path.split('/node_modules/').at(-1);
  if (inModules !== undefined && inModules !== path) {
    const [scope = '', name = ''] = inModules.split('/');
    return scope.startsWith('@') ? `${scope}/${name}` : scope;
  }
  const own = /\/(?:dist|dist-bench)\/(src\/[^/]+(?:\/[^/.]+)?)/.exec(path);
  if (own?.[1]) return `bot: ${own[1]}`;
  if (path.startsWith('node:')) return 'node: built-ins';
  return path === '' ? '(unnamed scripts)' : path;
}

export function summarizeHeapSnapshot(file: string, top = 20): string {
  const { snapshot, nodes, edges, strings } = JSON.parse(readFileSync(file, 'utf8')) as Snapshot;
  const { meta } = snapshot;
  const nodeWidth = meta.node_fields.length;
  const edgeWidth = meta.edge_fields.length;
  const [TYPE, NAME, SIZE, EDGES] = ['type', 'name', 'self_size', 'edge_count'].map((field) => meta.node_fields.indexOf(field)) as [
    number,
    number,
    number,
    number,
  ];
  const [EDGE_TYPE, EDGE_NAME, EDGE_TO] = ['type', 'name_or_index', 'to_node'].map((field) => meta.edge_fields.indexOf(field)) as [
    number,
    number,
    number,
  ];
  const nodeTypes = meta.node_types[0];
  const edgeTypes = meta.edge_types[0];
  const count = nodes.length / nodeWidth;
  const at = (node: number, field: number) => nodes[node * nodeWidth + field] ?? 0;
  const typeOf = (node: number) => nodeTypes[at(node, TYPE)] ?? '?';
  const firstEdge = new Uint32Array(count + 1);
  for (let node = 0; node < count; node++) firstEdge[node + 1] = (firstEdge[node] ?? 0) + at(node, EDGES);
  /** A node's edges that have names (properties and internal links), as [name, target]. */
  const namedEdges = function* (node: number): Generator<[string, number, string]> {
    for (let edge = firstEdge[node] ?? 0; edge < (firstEdge[node + 1] ?? 0); edge++) {
      const type = edgeTypes[edges[edge * edgeWidth + EDGE_TYPE] ?? 0] ?? '';
      if (type === 'element' || type === 'hidden') continue;
      yield [strings[edges[edge * edgeWidth + EDGE_NAME] ?? 0] ?? '', (edges[edge * edgeWidth + EDGE_TO] ?? 0) / nodeWidth, type];
    }
  };
  // How many strong references each node has: compiled forms held by one function only are that function's.
  const holders = new Uint32Array(count);
  for (let edge = 0; edge < edges.length / edgeWidth; edge++) {
    if (edgeTypes[edges[edge * edgeWidth + EDGE_TYPE] ?? 0] === 'weak') continue;
    const target = (edges[edge * edgeWidth + EDGE_TO] ?? 0) / nodeWidth;
    holders[target] = (holders[target] ?? 0) + 1;
  }

  const byType = new Map<string, number>();
  let total = 0;
  for (let node = 0; node < count; node++) {
    byType.set(typeOf(node), (byType.get(typeOf(node)) ?? 0) + at(node, SIZE));
    total += at(node, SIZE);
  }

  // Scripts are code nodes with a source; functions (SharedFunctionInfo) are code nodes linked to a script.
  const packageOfScript = new Map<number, string>();
  const byPackage = new Map<string, number>();
  const add = (name: string, bytes: number) => byPackage.set(name, (byPackage.get(name) ?? 0) + bytes);
  for (let node = 0; node < count; node++) {
    if (typeOf(node) !== 'code') continue;
    const links = new Map<string, number>();
    for (const [name, target] of namedEdges(node)) links.set(name, target);
    const source = links.get('source');
    if (source === undefined) continue;
    const name = links.get('name');
    const pkg = packageOf(name === undefined ? '' : (strings[at(name, NAME)] ?? ''));
    packageOfScript.set(node, pkg);
    add(pkg, at(node, SIZE) + at(source, SIZE));
  }
  const owned = (root: number): number => {
    let bytes = 0;
    const seen = new Set<number>();
    const stack: number[] = [];
    for (const [, target, type] of namedEdges(root)) if (type === 'internal') stack.push(target);
    for (let node = stack.pop(); node !== undefined; node = stack.pop()) {
      if (seen.has(node) || holders[node] !== 1 || !['code', 'array', 'hidden'].includes(typeOf(node))) continue;
      seen.add(node);
      bytes += at(node, SIZE);
      for (const [, target, type] of namedEdges(node)) if (type === 'internal') stack.push(target);
    }
    return bytes;
  };
  for (let node = 0; node < count; node++) {
    if (typeOf(node) !== 'code') continue;
    for (const [name, target] of namedEdges(node)) {
      const pkg = (name === 'script' || name === 'script_or_debug_info') && packageOfScript.get(target);
      if (pkg) add(pkg, at(node, SIZE) + owned(node));
    }
  }

  const megabytes = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(2)} MB`;
  const largest = (sizes: Map<string, number>) =>
    [...sizes]
      .sort(([, a], [, b]) => b - a)
      .slice(0, top)
      .map(([name, bytes]) => `    ${megabytes(bytes).padStart(9)}  ${name}`)
      .join('\n');
  const code = [...byPackage.values()].reduce((sum, bytes) => sum + bytes, 0);
  return [
    `  heap snapshot: ${megabytes(total)} in ${count} objects, by kind:`,
    largest(byType),
    `  code by package (source and compiled functions, ${megabytes(code)} in all):`,
    largest(byPackage),
    '',
  ].join('\n');
}
