// A flow document as a drawable graph: steps as nodes in layers (distance from the first step),
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
  const edges: GraphEdge[] = [];
  rawSteps.forEach((raw, from) => {
    for (const e of edgesOf(raw, from, rawSteps)) {
      const to = byId.get(e.target);
      if (to !== undefined) edges.push({ from, to, kind: e.kind, label: e.label });
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

  // Layers: shortest distance from the first step; steps nothing reaches go in a last row.
  if (nodes[0]) nodes[0].layer = 0;
  const queue = nodes.length > 0 ? [0] : [];
  while (queue.length > 0) {
    const i = queue.shift()!;
    for (const e of edges) {
      if (e.from === i && nodes[e.to]!.layer === -1) {
        nodes[e.to]!.layer = nodes[i]!.layer + 1;
        queue.push(e.to);
      }
    }
  }
  const reached = Math.max(-1, ...nodes.map((n) => n.layer));
  for (const n of nodes) if (n.layer === -1) n.layer = reached + 1;

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
