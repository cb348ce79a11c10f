// A flow document as a drawable graph: steps as nodes in rows (arrows point down, loops go back up),
// the domain's edges (domain/flow-graph.ts) as labelled arrows, and the domain's validation errors
// pinned to the steps they name. Works on documents being edited, valid or not.
import type { FlowStep } from '../domain/flow.js';
import type { FieldError } from '../domain/errors.js';
import { stepEdges, type FlowEdgeKind } from '../domain/flow-graph.js';

export const NODE_W = 168;
export const NODE_H = 50;
const GAP_X = 36;
const GAP_Y = 76;
const MARGIN = 24;
/** Room on the right for arrows that go back up. */
const RETURN_LANE = 120;

export interface GraphNode {
  index: number;
  id: string;
  type: string;
  x: number;
  y: number;
  layer: number;
  unreachable: boolean;
  errors: string[];
}

export interface GraphEdge { from: number; to: number; kind: FlowEdgeKind; label: string }

export interface FlowGraph {
  nodes: GraphNode[];
  edges: GraphEdge[];
  /** Errors not about one step (the name, the document itself). */
  general: string[];
  width: number;
  height: number;
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

function edgesOf(raw: unknown, index: number, steps: unknown[]): ReturnType<typeof stepEdges> {
  if (!isObject(raw)) return [];
  try {
    // A step being edited may lack fields; whatever edges can be read are drawn.
    return stepEdges(raw as unknown as FlowStep, index, steps as FlowStep[]).filter((e) => typeof e.target === 'string');
  } catch {
    return [];
  }
}

export function layoutFlow(rawSteps: unknown[], errors: FieldError[]): FlowGraph {
  const nodes: GraphNode[] = rawSteps.map((raw, index) => {
    const id = isObject(raw) && typeof raw.id === 'string' && raw.id !== '' ? raw.id : `steps[${index}]`;
    const type = isObject(raw) && typeof raw.type === 'string' ? raw.type : '?';
    return { index, id, type, x: 0, y: 0, layer: -1, unreachable: false, errors: [] };
  });
  const byId = new Map<string, number>();
  nodes.forEach((n) => { if (!byId.has(n.id)) byId.set(n.id, n.index); });
  // One arrow per pair of steps: `no input / no match` to the same step share it.
  const edges: GraphEdge[] = [];
  const byPair = new Map<string, GraphEdge>();
  rawSteps.forEach((raw, from) => {
    for (const e of edgesOf(raw, from, rawSteps)) {
      const to = byId.get(e.target);
      if (to === undefined) continue;
      const same = byPair.get(`${from}>${to}`);
      if (same) same.label += ` / ${e.label}`;
      else {
        const edge = { from, to, kind: e.kind, label: e.label };
        byPair.set(`${from}>${to}`, edge);
        edges.push(edge);
      }
    }
  });

  const general: string[] = [];
  for (const err of errors) {
    const m = /^steps\[(\d+)\]/.exec(err.fieldName);
    const node = m ? nodes[Number(m[1])] : undefined;
    if (!node) {
      general.push(`${err.fieldName}: ${err.message}`);
      continue;
    }
    if (err.errorCode === 'UnreachableStep') node.unreachable = true;
    node.errors.push(err.message);
  }

  assignLayers(nodes, edges);

  const layers: GraphNode[][] = [];
  for (const n of nodes) (layers[n.layer] ??= []).push(n);
  const widest = Math.max(1, ...layers.map((l) => l?.length ?? 0));
  const innerWidth = widest * NODE_W + (widest - 1) * GAP_X;
  layers.forEach((layer, depth) => {
    const rowWidth = layer.length * NODE_W + (layer.length - 1) * GAP_X;
    layer.forEach((n, k) => {
      n.x = MARGIN + (innerWidth - rowWidth) / 2 + k * (NODE_W + GAP_X);
      n.y = MARGIN + depth * (NODE_H + GAP_Y);
    });
  });
  return {
    nodes, edges, general,
    width: MARGIN * 2 + innerWidth + RETURN_LANE,
    height: MARGIN * 2 + layers.length * NODE_H + Math.max(0, layers.length - 1) * GAP_Y,
  };
}

/**
 * Layers: arrows that close a loop (back to a step on the current path from the first step) are
 * set aside, then every step sits one row below the lowest step leading to it, so arrows point
 * down. Steps the first step never reaches go below all the others.
 */
function assignLayers(nodes: GraphNode[], edges: GraphEdge[]): void {
  const out = nodes.map(() => [] as GraphEdge[]);
  for (const e of edges) out[e.from]!.push(e);
  const mark = nodes.map(() => 0); // 0 unseen, 1 on the path, 2 done
  const back = new Set<GraphEdge>();
  const order: number[] = [];
  const visit = (i: number): void => {
    mark[i] = 1;
    for (const e of out[i]!) {
      if (mark[e.to] === 1) back.add(e);
      else if (mark[e.to] === 0) visit(e.to);
    }
    mark[i] = 2;
    order.push(i);
  };
  if (nodes.length > 0) visit(0);
  const reached = new Set(order);
  nodes.forEach((n) => { if (mark[n.index] === 0) visit(n.index); });
  // `order` is a post-order: reversed, every forward arrow goes from earlier to later.
  for (const n of nodes) n.layer = 0;
  for (const i of order.reverse()) {
    for (const e of out[i]!) if (!back.has(e)) nodes[e.to]!.layer = Math.max(nodes[e.to]!.layer, nodes[i]!.layer + 1);
  }
  const lowest = Math.max(0, ...nodes.filter((n) => reached.has(n.index)).map((n) => n.layer));
  for (const n of nodes) if (!reached.has(n.index)) n.layer += lowest + 1;
}

export interface EdgePath { d: string; labelX: number; labelY: number }

/** Downward arrows bend straight down; arrows to the same or an earlier row loop out on the right. */
export function edgePath(graph: FlowGraph, e: GraphEdge, lane: number): EdgePath {
  const a = graph.nodes[e.from]!;
  const b = graph.nodes[e.to]!;
  if (b.layer > a.layer) {
    const p0 = { x: a.x + NODE_W / 2, y: a.y + NODE_H };
    const p3 = { x: b.x + NODE_W / 2, y: b.y };
    const dy = (p3.y - p0.y) / 2;
    const p1 = { x: p0.x, y: p0.y + dy };
    const p2 = { x: p3.x, y: p3.y - dy };
    return {
      d: `M${p0.x},${p0.y} C${p1.x},${p1.y} ${p2.x},${p2.y} ${p3.x},${p3.y}`,
      labelX: (p0.x + 3 * p1.x + 3 * p2.x + p3.x) / 8,
      labelY: (p0.y + 3 * p1.y + 3 * p2.y + p3.y) / 8,
    };
  }
  const p0 = { x: a.x + NODE_W, y: a.y + NODE_H / 2 };
  const p3 = { x: b.x + NODE_W, y: b.y + NODE_H / 2 };
  const out = Math.max(p0.x, p3.x) + 40 + lane * 14;
  return {
    d: `M${p0.x},${p0.y} C${out},${p0.y} ${out},${p3.y} ${p3.x},${p3.y}`,
    labelX: (p0.x + 6 * out + p3.x) / 8,
    labelY: (p0.y + p3.y) / 2,
  };
}
