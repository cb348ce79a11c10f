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
/** Width of an edge label's text per character (11px sans-serif), for the slots and the label boxes. */
export const LABEL_CHAR_W = 6.2;
const PASS_W = 24;

export const labelWidth = (label: string): number => label.length * LABEL_CHAR_W + 8;

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

export interface Point { x: number; y: number }

export interface GraphEdge {
  from: number;
  to: number;
  kind: FlowEdgeKind;
  label: string;
  /** Closes a loop: drawn back up on the right. */
  back: boolean;
  /** Where a downward arrow crosses the rows between its ends (slots of their own: no node is crossed). */
  via: Point[];
}

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
        const edge: GraphEdge = { from, to, kind: e.kind, label: e.label, back: false, via: [] };
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

  const innerWidth = place(nodes, edges);
  const rows = Math.max(0, ...nodes.map((n) => n.layer)) + (nodes.length > 0 ? 1 : 0);
  return {
    nodes, edges, general,
    width: MARGIN * 2 + innerWidth + RETURN_LANE,
    height: MARGIN * 2 + rows * NODE_H + Math.max(0, rows - 1) * GAP_Y,
  };
}

interface Slot { width: number; layer: number; node?: GraphNode; pass?: { edge: GraphEdge; index: number }; x: number; key: number }

/**
 * Rows of slots: the steps of a layer and the passages of longer arrows through it. Each row is
 * ordered by where its predecessors sit in the row above (barycentre), then centred.
 */
function place(nodes: GraphNode[], edges: GraphEdge[]): number {
  const rowCount = Math.max(0, ...nodes.map((n) => n.layer)) + 1;
  const rows: Slot[][] = Array.from({ length: rowCount }, () => []);
  for (const n of nodes) rows[n.layer]!.push({ width: NODE_W, layer: n.layer, node: n, x: 0, key: n.index });
  const passes = new Map<GraphEdge, Slot[]>();
  for (const e of edges) {
    if (e.back) continue;
    const list: Slot[] = [];
    for (let layer = nodes[e.from]!.layer + 1; layer < nodes[e.to]!.layer; layer += 1) {
      const slot: Slot = { width: list.length === 0 ? Math.max(PASS_W, labelWidth(e.label) + 8) : PASS_W, layer, pass: { edge: e, index: list.length }, x: 0, key: 0 };
      rows[layer]!.push(slot);
      list.push(slot);
    }
    if (list.length > 0) passes.set(e, list);
  }
  const centre = (slot: Slot): number => slot.x + slot.width / 2;
  const slotOfNode = new Map<number, Slot>();
  rows.forEach((row, r) => {
    if (r > 0) {
      for (const slot of row) {
        const above: number[] = [];
        if (slot.pass) {
          const { edge, index } = slot.pass;
          above.push(centre(index === 0 ? slotOfNode.get(edge.from)! : passes.get(edge)![index - 1]!));
        } else {
          for (const e of edges) {
            if (e.back || e.to !== slot.node!.index) continue;
            const list = passes.get(e);
            const from = list ? list[list.length - 1] : slotOfNode.get(e.from);
            if (from && (list || nodes[e.from]!.layer === r - 1)) above.push(centre(from));
          }
        }
        slot.key = above.length > 0 ? above.reduce((a, b) => a + b, 0) / above.length : Number.MAX_SAFE_INTEGER;
      }
      row.sort((a, b) => a.key - b.key);
    }
    let x = 0;
    for (const slot of row) {
      slot.x = x;
      x += slot.width + GAP_X;
      if (slot.node) slotOfNode.set(slot.node.index, slot);
    }
  });
  const widthOf = (row: Slot[]): number => row.reduce((w, s) => w + s.width, 0) + Math.max(0, row.length - 1) * GAP_X;
  const inner = Math.max(NODE_W, ...rows.map(widthOf));
  rows.forEach((row, r) => {
    const shift = MARGIN + (inner - widthOf(row)) / 2;
    const y = MARGIN + r * (NODE_H + GAP_Y);
    for (const slot of row) {
      slot.x += shift;
      if (slot.node) {
        slot.node.x = slot.x;
        slot.node.y = y;
      }
    }
  });
  // A passage is the top of its slot; the arrow runs down through the row from there.
  for (const [edge, list] of passes) edge.via = list.map((slot) => ({ x: centre(slot), y: MARGIN + slot.layer * (NODE_H + GAP_Y) }));
  return inner;
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
  const order: number[] = [];
  const visit = (i: number): void => {
    mark[i] = 1;
    for (const e of out[i]!) {
      if (mark[e.to] === 1) e.back = true;
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
    for (const e of out[i]!) if (!e.back) nodes[e.to]!.layer = Math.max(nodes[e.to]!.layer, nodes[i]!.layer + 1);
  }
  const lowest = Math.max(0, ...nodes.filter((n) => reached.has(n.index)).map((n) => n.layer));
  for (const n of nodes) if (!reached.has(n.index)) n.layer += lowest + 1;
}

export interface EdgePath { d: string; labelX: number; labelY: number }

/**
 * Downward arrows: S-curves between rows, straight down through the rows they pass (their label
 * in the first passage's slot). Loops go out on the right of the whole drawing and back in.
 */
export function edgePath(graph: FlowGraph, e: GraphEdge, lane: number): EdgePath {
  const a = graph.nodes[e.from]!;
  const b = graph.nodes[e.to]!;
  if (!e.back) {
    const points: Point[] = [{ x: a.x + NODE_W / 2, y: a.y + NODE_H }];
    for (const p of e.via) points.push(p, { x: p.x, y: p.y + NODE_H });
    points.push({ x: b.x + NODE_W / 2, y: b.y });
    let d = `M${points[0]!.x},${points[0]!.y}`;
    for (let i = 1; i < points.length; i += 1) {
      const p = points[i - 1]!;
      const q = points[i]!;
      // Odd segments cross a gap between rows; even ones run through a passage.
      if (i % 2 === 0) d += ` L${q.x},${q.y}`;
      else d += ` C${p.x},${(p.y + q.y) / 2} ${q.x},${(p.y + q.y) / 2} ${q.x},${q.y}`;
    }
    const first = e.via[0];
    if (first) return { d, labelX: first.x, labelY: first.y + NODE_H / 2 };
    const p0 = points[0]!;
    const p3 = points[1]!;
    return { d, labelX: (p0.x + p3.x) / 2, labelY: (p0.y + p3.y) / 2 };
  }
  const p0 = { x: a.x + NODE_W, y: a.y + NODE_H / 2 };
  const p3 = { x: b.x + NODE_W, y: b.y + NODE_H / 2 };
  const out = graph.width - RETURN_LANE + 16 + lane * 14;
  return {
    d: `M${p0.x},${p0.y} C${out},${p0.y} ${out},${p3.y} ${p3.x},${p3.y}`,
    labelX: (p0.x + 6 * out + p3.x) / 8,
    labelY: (p0.y + p3.y) / 2,
  };
}
