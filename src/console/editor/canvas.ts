// The drawing of the flow being edited: steps as boxes listing their exits, each exit a handle
// dragged onto a step to connect it (dragged again to reconnect), arrows between them; a palette
// of every step type to drag onto it; pan (drag the background), zoom (wheel or buttons),
// auto-layout, undo/redo. Pointer events only (a pen, a finger or a mouse), and a keyboard path
// for everything: palette entries are buttons, steps are focusable (Enter opens the form,
// Delete removes, arrows move), an arrow is removed from its exit in the form. SVG with classes
// only: the CSP allows no inline style.
import type { FieldError } from '../../domain/errors.js';
import { STEP_TYPES, stepDefinition } from '../../domain/steps/index.js';
import { h, svg } from '../dom.js';
import { layoutFlow } from '../flow-layout.js';
import { exitsOf, setExit, type Exit } from './exits.js';
import { deleteStep, freshId, stepId, type Doc, type FlowModel, type Point } from './model.js';
import { fieldErrors } from './step-form.js';

export const NODE_W = 180;
const HEAD_H = 42;
const ROW_H = 20;
const GAP_X = 90;
const GAP_Y = 36;
const MARGIN = 30;
const ZOOM = { min: 0.3, max: 2.5, step: 1.2 };

const nodeHeight = (exits: number): number => HEAD_H + exits * ROW_H + 6;

/** Columns by the domain graph's layers (the start step on the left), stacked within a column. */
export function autoLayout(doc: Doc): Record<string, Point> {
  const graph = layoutFlow(doc.steps, []);
  const columnY: number[] = [];
  const positions: Record<string, Point> = {};
  graph.nodes.forEach((n, i) => {
    const y = columnY[n.layer] ?? MARGIN;
    positions[stepId(doc.steps[i]!, i)] = { x: MARGIN + n.layer * (NODE_W + GAP_X), y };
    columnY[n.layer] = y + nodeHeight(exitsOf(doc, i).length) + GAP_Y;
  });
  return positions;
}

type Gesture =
  | { kind: 'pan'; startX: number; startY: number; tx: number; ty: number }
  | { kind: 'move'; index: number; id: string; dx: number; dy: number; at: Point; moved: boolean }
  | { kind: 'connect'; index: number; exit: Exit; at: Point }
  | { kind: 'place'; type: string; ghost: HTMLElement; moved: boolean };

export interface Canvas {
  element: HTMLElement;
  /** Redraws from the model (positions of new steps filled in) with the validator's errors. */
  draw(errors: FieldError[]): void;
}

export function flowCanvas(model: FlowModel): Canvas {
  let zoom = 1;
  let tx = 0;
  let ty = 0;
  let gesture: Gesture | undefined;
  let errors: FieldError[] = [];
  const world = svg('g', { class: 'world' });
  const overlay = svg('g', { class: 'overlay' });
  const root = svg('svg', { class: 'flow-canvas', role: 'group', 'aria-label': 'Flow drawing: steps and their exits' },
    svg('defs', {}, svg('marker', { id: 'canvas-arrow', viewBox: '0 0 10 10', refX: 9, refY: 5, markerWidth: 7, markerHeight: 7, orient: 'auto-start-reverse' },
      svg('path', { d: 'M0,0 L10,5 L0,10 z', class: 'arrowhead' }))),
    svg('rect', { class: 'canvas-bg', x: -100000, y: -100000, width: 200000, height: 200000 }),
    world, overlay);
  const status = h('p', { class: 'visually-hidden', role: 'status', 'aria-live': 'polite' });
  const applyView = (): void => {
    const t = `translate(${tx} ${ty}) scale(${zoom})`;
    world.setAttribute('transform', t);
    overlay.setAttribute('transform', t);
  };
  const toWorld = (ev: { clientX: number; clientY: number }): Point => {
    const r = root.getBoundingClientRect();
    return { x: (ev.clientX - r.left - tx) / zoom, y: (ev.clientY - r.top - ty) / zoom };
  };
  const setZoom = (k: number, around: Point = { x: root.clientWidth / 2, y: root.clientHeight / 2 }): void => {
    const z = Math.min(ZOOM.max, Math.max(ZOOM.min, k));
    tx = around.x - (around.x - tx) * (z / zoom);
    ty = around.y - (around.y - ty) * (z / zoom);
    zoom = z;
    applyView();
  };

  /** Every step has a place: steps without one (new, or from the JSON) get the auto-layout's. */
  const positionsFilled = (): Record<string, Point> => {
    const doc = model.doc;
    const missing = doc.steps.some((s, i) => !model.positions[stepId(s, i)]);
    if (!missing) return model.positions;
    const auto = autoLayout(doc);
    const out = { ...model.positions };
    doc.steps.forEach((s, i) => { const id = stepId(s, i); out[id] ??= auto[id]!; });
    return out;
  };

  const draw = (list: FieldError[] = errors): void => {
    errors = list;
    const doc = model.doc;
    const positions = positionsFilled();
    if (gesture?.kind === 'move') positions[gesture.id] = gesture.at;
    const focused = (document.activeElement as Element | null)?.getAttribute?.('data-step-index');
    const ids = new Map(doc.steps.map((s, i) => [stepId(s, i), i]));
    const boxes = doc.steps.map((s, i) => {
      const p = positions[stepId(s, i)]!;
      const exits = exitsOf(doc, i);
      return { p, exits, hgt: nodeHeight(exits.length) };
    });
    const edges = boxes.flatMap((b, i) => b.exits.map((exit, row) => {
      const to = exit.target !== undefined ? ids.get(exit.target) : undefined;
      if (to === undefined) return null;
      const from = { x: b.p.x + NODE_W, y: b.p.y + HEAD_H + row * ROW_H + ROW_H / 2 };
      const end = { x: boxes[to]!.p.x, y: boxes[to]!.p.y + HEAD_H / 2 };
      const bend = Math.max(40, Math.abs(end.x - from.x) / 2);
      const d = `M${from.x},${from.y} C${from.x + bend},${from.y} ${end.x - bend},${end.y} ${end.x},${end.y}`;
      return svg('path', { class: `canvas-edge${exit.implicit ? ' implicit' : ''}`, d, 'marker-end': 'url(#canvas-arrow)', 'data-edge': `${stepId(doc.steps[i]!, i)}:${exit.label}` });
    }));
    const nodes = doc.steps.map((s, i) => {
      const id = stepId(s, i);
      const { p, exits, hgt } = boxes[i]!;
      const errs = fieldErrors(list, i);
      const type = typeof s.type === 'string' ? s.type : '?';
      const name = `${id}, ${type} step${i === 0 ? ', start step' : ''}${errs.length > 0 ? `, ${errs.length} error${errs.length > 1 ? 's' : ''}: ${errs.map((e) => e.message).join('; ')}` : ''}`;
      const classes = ['canvas-node', `node-${type.replace(/[^a-z]/g, '')}`, model.selected === i ? 'selected' : '', errs.length > 0 ? 'invalid' : '',
        errs.some((e) => e.errorCode === 'UnreachableStep') ? 'unreachable' : ''].filter(Boolean).join(' ');
      // Named by its <title> (SVG's own name), which says more than the box shows.
      return svg('g', { class: classes, tabindex: 0, role: 'button', 'aria-pressed': model.selected === i ? 'true' : 'false', 'data-step-index': i, 'data-step': id },
        svg('title', {}, name),
        svg('rect', { class: 'node-box', x: p.x, y: p.y, width: NODE_W, height: hgt, rx: 8 }),
        svg('text', { class: 'node-id', x: p.x + 10, y: p.y + 18 }, id.length > 22 ? `${id.slice(0, 21)}…` : id),
        svg('text', { class: 'node-type', x: p.x + 10, y: p.y + 34 }, `${type}${i === 0 ? ' · start' : ''}`),
        errs.length > 0 ? svg('g', { class: 'error-pin' },
          svg('circle', { cx: p.x + NODE_W - 14, cy: p.y + 14, r: 10 }),
          svg('text', { x: p.x + NODE_W - 14, y: p.y + 18, 'text-anchor': 'middle' }, String(errs.length))) : null,
        exits.map((exit, row) => {
          const y = p.y + HEAD_H + row * ROW_H;
          const connected = exit.target !== undefined && ids.has(exit.target);
          return svg('g', { class: `exit${connected ? ' connected' : ''}${exit.adds ? ' adds' : ''}`, 'data-exit': exit.label, 'data-target': connected ? exit.target : undefined },
            svg('text', { class: 'exit-label', x: p.x + NODE_W - 16, y: y + 14, 'text-anchor': 'end' }, exit.label),
            svg('circle', { class: 'handle', cx: p.x + NODE_W, cy: y + ROW_H / 2, r: 7, 'data-handle': `${id}:${exit.label}` }));
        }));
    });
    world.replaceChildren(...edges.filter((e) => e !== null), ...nodes);
    if (focused != null) (world.querySelector(`[data-step-index="${focused}"]`) as SVGGElement | null)?.focus();
  };

  const commitPositions = (extra: Record<string, Point> = {}): Record<string, Point> => ({ ...positionsFilled(), ...extra });
  const nodeIndexAt = (ev: PointerEvent): number | undefined => {
    const el = document.elementFromPoint(ev.clientX, ev.clientY)?.closest('[data-step-index]');
    return el ? Number(el.getAttribute('data-step-index')) : undefined;
  };
  const announce = (text: string): void => { status.textContent = text; };

  root.addEventListener('pointerdown', (ev) => {
    if (ev.button !== 0) return;
    const target = ev.target as Element;
    const handle = target.closest('[data-handle]');
    const node = target.closest('[data-step-index]');
    if (handle && node) {
      const index = Number(node.getAttribute('data-step-index'));
      const label = handle.closest('[data-exit]')!.getAttribute('data-exit');
      const exit = exitsOf(model.doc, index).find((e) => e.label === label);
      if (!exit) return;
      gesture = { kind: 'connect', index, exit, at: toWorld(ev) };
    } else if (node) {
      const index = Number(node.getAttribute('data-step-index'));
      const id = stepId(model.doc.steps[index]!, index);
      const p = positionsFilled()[id]!;
      const w = toWorld(ev);
      gesture = { kind: 'move', index, id, dx: w.x - p.x, dy: w.y - p.y, at: p, moved: false };
    } else {
      gesture = { kind: 'pan', startX: ev.clientX, startY: ev.clientY, tx, ty };
    }
    root.setPointerCapture(ev.pointerId);
    ev.preventDefault();
  });
  root.addEventListener('pointermove', (ev) => {
    if (!gesture) return;
    if (gesture.kind === 'pan') {
      tx = gesture.tx + ev.clientX - gesture.startX;
      ty = gesture.ty + ev.clientY - gesture.startY;
      applyView();
    } else if (gesture.kind === 'move') {
      const w = toWorld(ev);
      gesture.at = { x: Math.round(w.x - gesture.dx), y: Math.round(w.y - gesture.dy) };
      gesture.moved = true;
      draw();
    } else if (gesture.kind === 'connect') {
      gesture.at = toWorld(ev);
      const handle = root.querySelector(`[data-step-index="${gesture.index}"] [data-exit="${CSS.escape(gesture.exit.label)}"] circle`);
      const x1 = Number(handle?.getAttribute('cx') ?? 0);
      const y1 = Number(handle?.getAttribute('cy') ?? 0);
      overlay.replaceChildren(svg('line', { class: 'rubber-band', x1, y1, x2: gesture.at.x, y2: gesture.at.y }));
    }
  });
  const finish = (ev: PointerEvent): void => {
    const g = gesture;
    gesture = undefined;
    overlay.replaceChildren();
    if (!g) return;
    if (g.kind === 'move') {
      if (g.moved) model.change('canvas', (_d, positions) => Object.assign(positions, commitPositions({ [g.id]: g.at })));
      else model.select(g.index);
      (root.querySelector(`[data-step-index="${g.index}"]`) as SVGGElement | null)?.focus();
    } else if (g.kind === 'connect' && ev.type === 'pointerup') {
      const to = nodeIndexAt(ev);
      if (to === undefined) return;
      const target = stepId(model.doc.steps[to]!, to);
      model.change('canvas', (d, positions) => {
        Object.assign(positions, commitPositions());
        setExit(d.steps[g.index]!, g.exit, target);
      });
      announce(`${stepId(model.doc.steps[g.index]!, g.index)} ${g.exit.label} now goes to ${target}`);
    }
  };
  root.addEventListener('pointerup', finish);
  root.addEventListener('pointercancel', finish);
  root.addEventListener('wheel', (ev) => {
    ev.preventDefault();
    const r = root.getBoundingClientRect();
    setZoom(zoom * (ev.deltaY < 0 ? ZOOM.step : 1 / ZOOM.step), { x: ev.clientX - r.left, y: ev.clientY - r.top });
  }, { passive: false });

  root.addEventListener('keydown', (ev) => {
    const node = (ev.target as Element).closest?.('[data-step-index]');
    if (!node) return;
    const index = Number(node.getAttribute('data-step-index'));
    const id = stepId(model.doc.steps[index]!, index);
    const moves: Record<string, [number, number]> = { ArrowLeft: [-20, 0], ArrowRight: [20, 0], ArrowUp: [0, -20], ArrowDown: [0, 20] };
    if (ev.key === 'Enter' || ev.key === ' ') {
      ev.preventDefault();
      model.select(index);
      document.querySelector<HTMLElement>(`[data-step-form] input, [data-step-form] select`)?.focus();
    } else if (ev.key === 'Delete' || ev.key === 'Backspace') {
      ev.preventDefault();
      model.change('canvas', (d) => deleteStep(d, index));
      announce(`Deleted step ${id}`);
    } else if (moves[ev.key]) {
      ev.preventDefault();
      const [dx, dy] = moves[ev.key]!;
      model.change('canvas', (_d, positions) => {
        const all = commitPositions();
        Object.assign(positions, all, { [id]: { x: all[id]!.x + dx, y: all[id]!.y + dy } });
      }, `move:${id}`);
    }
  });

  /** Adds a step of `type` at `at` (world coordinates), or beside the others. */
  const addStep = (type: string, at?: Point): void => {
    const id = freshId(model.doc, type);
    model.change('canvas', (d, positions) => {
      const all = commitPositions();
      const place = at ?? { x: MARGIN + Math.max(0, ...Object.values(all).map((p) => p.x + NODE_W + GAP_X - MARGIN)), y: MARGIN };
      d.steps.push({ id, type });
      Object.assign(positions, all, { [id]: place });
    });
    model.select(model.doc.steps.length - 1);
    announce(`Added step ${id} (${type})`);
  };

  // The palette: a button per step type (click or Enter adds one; drag one onto the drawing to place it).
  const palette = h('ul', { class: 'palette', 'aria-label': 'Step types' }, STEP_TYPES.map((type) => {
    const d = stepDefinition(type);
    const help = `palette-help-${type}`;
    const button = h('button', { type: 'button', class: 'palette-item', 'data-type': type, 'aria-describedby': help }, `Add ${type}`);
    button.addEventListener('click', (ev) => { if ((ev as MouseEvent).detail === 0) addStep(type); });
    button.addEventListener('pointerdown', (ev) => {
      if (ev.button !== 0) return;
      const ghost = h('div', { class: 'palette-ghost' }, type);
      document.body.append(ghost);
      gesture = { kind: 'place', type, ghost, moved: false };
      button.setPointerCapture(ev.pointerId);
      ev.preventDefault();
    });
    button.addEventListener('pointermove', (ev) => {
      if (gesture?.kind !== 'place') return;
      gesture.moved = true;
      gesture.ghost.classList.add('shown');
      // Set through the CSSOM, which the CSP allows (it refuses style attributes in markup).
      gesture.ghost.style.left = `${ev.clientX}px`;
      gesture.ghost.style.top = `${ev.clientY}px`;
    });
    const drop = (ev: PointerEvent): void => {
      if (gesture?.kind !== 'place') return;
      const g = gesture;
      gesture = undefined;
      g.ghost.remove();
      if (ev.type !== 'pointerup') return;
      if (!g.moved) { addStep(type); return; }
      const r = root.getBoundingClientRect();
      if (ev.clientX < r.left || ev.clientX > r.right || ev.clientY < r.top || ev.clientY > r.bottom) return;
      const w = toWorld(ev);
      addStep(type, { x: Math.round(w.x - NODE_W / 2), y: Math.round(w.y - HEAD_H / 2) });
    };
    button.addEventListener('pointerup', drop);
    button.addEventListener('pointercancel', drop);
    return h('li', {}, button, h('small', { id: help, class: 'palette-help' }, d.summary));
  }));

  const tool = (text: string, onclick: () => void, attrs: Record<string, string> = {}): HTMLButtonElement =>
    h('button', { type: 'button', class: 'small', onclick, ...attrs }, text);
  const undo = tool('Undo', () => model.undo(), { 'aria-keyshortcuts': 'Control+Z' });
  const redo = tool('Redo', () => model.redo(), { 'aria-keyshortcuts': 'Control+Y' });
  const toolbar = h('div', { class: 'canvas-tools', role: 'toolbar', 'aria-label': 'Drawing tools' },
    undo, redo,
    tool('Zoom in', () => setZoom(zoom * ZOOM.step)),
    tool('Zoom out', () => setZoom(zoom / ZOOM.step)),
    tool('Reset view', () => { zoom = 1; tx = 0; ty = 0; applyView(); }),
    tool('Auto-layout', () => model.change('canvas', (d, positions) => {
      for (const k of Object.keys(positions)) delete positions[k];
      Object.assign(positions, autoLayout(d));
    })));
  model.onChange(() => {
    undo.disabled = !model.canUndo;
    redo.disabled = !model.canRedo;
  });

  const element = h('div', { class: 'canvas-wrap' },
    h('div', { class: 'palette-box' }, h('h3', { id: 'palette-h' }, 'Steps'), h('p', { class: 'muted' }, 'Drag a step onto the drawing, or press its button.'), palette),
    h('div', { class: 'canvas-main' }, toolbar, root, status));
  applyView();
  return { element, draw };
}
