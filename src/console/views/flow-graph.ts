// Draws a FlowGraph as SVG (classes only: the CSP allows no inline style) with a text version of
// the same graph beside it for screen readers and narrow screens.
import { h, svg } from '../dom.js';
import { edgePath, labelWidth, NODE_H, NODE_W, type FlowGraph } from '../flow-layout.js';

export function renderGraph(graph: FlowGraph, title: string): HTMLElement {
  const arrow = svg('marker', { id: 'arrow', viewBox: '0 0 10 10', refX: 9, refY: 5, markerWidth: 8, markerHeight: 8, orient: 'auto-start-reverse' },
    svg('path', { d: 'M0,0 L10,5 L0,10 z', class: 'arrowhead' }));
  let lane = 0;
  const edges = graph.edges.map((e) => {
    const p = edgePath(graph, e, e.back ? lane++ : 0);
    const w = labelWidth(e.label);
    return svg('g', { class: `edge edge-${e.kind}` },
      svg('path', { d: p.d, 'marker-end': 'url(#arrow)' }),
      svg('rect', { class: 'edge-label-bg', x: p.labelX - w / 2, y: p.labelY - 9, width: w, height: 16, rx: 3 }),
      svg('text', { class: 'edge-label', x: p.labelX, y: p.labelY + 3, 'text-anchor': 'middle' }, e.label));
  });
  const nodes = graph.nodes.map((n) => {
    const classes = ['node', `node-${n.type.replace(/[^a-z]/g, '')}`, n.unreachable ? 'unreachable' : '', n.errors.length > 0 ? 'invalid' : ''].filter(Boolean).join(' ');
    const summary = `${n.id}, ${n.type} step${n.unreachable ? ', unreachable' : ''}${n.errors.length > 0 ? `, ${n.errors.length} error${n.errors.length > 1 ? 's' : ''}: ${n.errors.join('; ')}` : ''}`;
    return svg('g', { class: classes, tabindex: 0, role: 'img', 'aria-label': summary, 'data-step': n.id },
      svg('title', {}, summary),
      svg('rect', { x: n.x, y: n.y, width: NODE_W, height: NODE_H, rx: 8 }),
      svg('text', { class: 'node-id', x: n.x + NODE_W / 2, y: n.y + 21, 'text-anchor': 'middle' }, n.id.length > 22 ? `${n.id.slice(0, 21)}…` : n.id),
      svg('text', { class: 'node-type', x: n.x + NODE_W / 2, y: n.y + 38, 'text-anchor': 'middle' },
        n.type + (n.unreachable ? ' · unreachable' : '') + (n.errors.length > 0 ? ' · error' : '')));
  });
  const drawing = svg('svg', {
    class: 'flow-graph', viewBox: `0 0 ${graph.width} ${graph.height}`, width: graph.width, height: graph.height,
    role: 'group', 'aria-label': `Graph of ${title}`,
  }, svg('defs', {}, arrow), ...edges, ...nodes);

  const text = h('ol', { class: 'graph-text' }, graph.nodes.map((n) => h('li', { class: n.errors.length > 0 ? 'invalid' : undefined },
    h('strong', {}, n.id), ` (${n.type})`, n.unreachable ? h('span', { class: 'tag warn' }, 'unreachable') : null,
    ': ',
    graph.edges.filter((e) => e.from === n.index).map((e) => `${e.label} → ${graph.nodes[e.to]!.id}`).join('; ') || 'ends the call',
    n.errors.length > 0 ? h('ul', { class: 'errors' }, n.errors.map((m) => h('li', {}, m))) : null)));

  return h('div', { class: 'graph' },
    h('div', { class: 'graph-scroll' }, drawing),
    graph.general.length > 0 ? h('ul', { class: 'errors', role: 'alert' }, graph.general.map((m) => h('li', {}, m))) : null,
    h('details', { class: 'graph-steps' }, h('summary', {}, 'Steps and transitions as text'), text));
}
