// The form of one step, generated from its definition's fields (domain/steps/<type>.ts): a number
// input with the field's bounds, a choice list for its options, yes/no for a boolean, a list of
// media URIs (the engine's sounds suggested as you type), a step picker for a target, rows of
// key → step for a target map, text otherwise, with "listen" when text to speech speaks it.
// No step type is named here: a new definition gets its form from its metadata. Each control
// writes through the model (one undo entry per field edited) and shows the domain validator's
// errors for its field.
import type { FieldError } from '../../domain/errors.js';
import { isObject } from '../../domain/steps/fields.js';
import { isStepType, stepDefinition, type StepFieldDoc } from '../../domain/steps/index.js';
import { h, type Child } from '../dom.js';
import { exitsOf, freshKey, setExit } from './exits.js';
import { deleteStep, renameStep, stepId, type FlowModel, type Step } from './model.js';
import { soundSuggestions } from './sounds.js';
import { listenButton } from './listen.js';

export function fieldErrors(errors: FieldError[], index: number, name?: string): FieldError[] {
  const prefix = name === undefined ? `steps[${index}]` : `steps[${index}].${name}`;
  return errors.filter((e) => e.fieldName === prefix || e.fieldName.startsWith(`${prefix}.`) || e.fieldName.startsWith(`${prefix}[`));
}

const controlId = (index: number, name: string, part = ''): string => `step-${index}-${name}${part}`.replace(/[^A-Za-z0-9_-]/g, '_');

export interface StepFormHandle {
  element: HTMLElement;
  /** Shows the validator's errors on the fields without rebuilding the form (the user is typing). */
  showErrors(errors: FieldError[]): void;
}

export function stepForm(model: FlowModel, index: number, errors: FieldError[]): StepFormHandle {
  const doc = model.doc;
  const step = doc.steps[index]!;
  const id = stepId(step, index);
  const ids = doc.steps.map(stepId);
  const edit = (name: string, fn: (s: Step) => void, coalesce = true): void =>
    model.change(coalesce ? 'form' : 'structure', (d) => fn(d.steps[index]!), coalesce ? `form:${index}:${name}` : undefined);
  const errorSlots = new Map<string, { slot: HTMLElement; controls: HTMLElement[] }>();
  const sounds = soundSuggestions();

  const row = (name: string, label: string, controls: HTMLElement[], help: string, extra?: Child): HTMLElement => {
    const slot = h('div', { class: 'field-errors', id: controlId(index, name, '-err'), role: 'status' });
    errorSlots.set(name, { slot, controls });
    const helpId = controlId(index, name, '-help');
    for (const c of controls) c.setAttribute('aria-describedby', `${helpId} ${slot.id}`);
    return h('div', { class: 'field', 'data-field': name },
      h('label', { for: controls[0]?.id ?? '' }, label), ...controls, extra, h('small', { id: helpId }, help), slot);
  };

  const stepPicker = (cid: string, current: unknown, label: string, onPick: (target: string | undefined) => void): HTMLSelectElement => {
    const select = h('select', { id: cid, 'aria-label': label },
      h('option', { value: '' }, '(none)'),
      ids.map((t) => h('option', { value: t, selected: current === t }, t)));
    if (typeof current === 'string' && current !== '' && !ids.includes(current)) select.append(h('option', { value: current, selected: true }, `${current} (missing)`));
    select.addEventListener('change', () => onPick(select.value || undefined));
    return select;
  };

  const control = (field: StepFieldDoc): HTMLElement => {
    const name = field.name;
    const value = step[name];
    const cid = controlId(index, name);
    const help = `${field.description}${field.default ? ` (default: ${field.default})` : ''}${field.required ? ' · required' : ''}`;
    const label = `${name}${field.required ? ' *' : ''}`;
    const setOrDrop = (v: unknown): void => edit(name, (s) => { if (v === undefined) delete s[name]; else s[name] = v; });

    if (field.target && typeof field.type === 'object' && 'map' in field.type) {
      const map = isObject(value) ? value : {};
      const entries = Object.entries(map).map(([key, target]) => {
        const exit = { field: name, key, label: `${name} ${key}` };
        return h('li', {},
          h('span', { class: 'map-key' }, key), ' → ',
          stepPicker(controlId(index, name, `-${key}`), target, `${name} ${key} goes to`, (t) => edit(name, (s) => setExit(s, exit, t), false)),
          h('button', { type: 'button', class: 'small', id: controlId(index, name, `-rm-${key}`), 'aria-label': `Remove ${name} ${key}`, onclick: () => edit(name, (s) => setExit(s, exit, undefined), false) }, '×'));
      });
      const key = h('input', { id: cid, size: 6, placeholder: freshKey(map), 'aria-label': `New ${name} key` });
      const target = stepPicker(controlId(index, name, '-new'), undefined, `New ${name} entry goes to`, () => undefined);
      const add = h('button', {
        type: 'button', class: 'small', id: controlId(index, name, '-add'),
        onclick: () => {
          const k = key.value.trim() || freshKey(map);
          edit(name, (s) => setExit(s, { field: name, key: k, label: '' }, target.value || ''), false);
        },
      }, `Add ${name} entry`);
      return row(name, label, [key, target], help, h('div', {}, h('ul', { class: 'map-entries' }, entries), add));
    }
    if (field.target) {
      return row(name, label, [stepPicker(cid, value, `${name} goes to`, (t) => edit(name, (s) => setExit(s, { field: name, label: name }, t), false))], help);
    }
    if (field.type === 'int') {
      const input = h('input', { id: cid, type: 'number', step: 1, value: typeof value === 'number' ? value : '', ...(field.range ? { min: field.range.min, max: field.range.max } : {}) });
      input.addEventListener('input', () => setOrDrop(input.value === '' ? undefined : Number(input.value)));
      return row(name, label, [input], field.range ? `${help} · ${field.range.min} to ${field.range.max}` : help);
    }
    if (field.type === 'bool' || field.options) {
      const choices: Array<[string, unknown]> = field.type === 'bool' ? [['yes', true], ['no', false]] : field.options!.map((o) => [o, o]);
      const select = h('select', { id: cid },
        h('option', { value: '' }, '(default)'),
        choices.map(([text, v], i) => h('option', { value: String(i), selected: value === v }, text)));
      select.addEventListener('change', () => setOrDrop(select.value === '' ? undefined : choices[Number(select.value)]![1]));
      return row(name, label, [select], help);
    }
    if (field.media) {
      const list = Array.isArray(value) ? value.map(String) : [];
      const inputs = (list.length > 0 ? list : ['']).map((uri, i) => {
        const input = h('input', { id: i === 0 ? cid : controlId(index, name, `-${i}`), value: uri, placeholder: 'sound:hello-world', autocomplete: 'off', 'aria-label': `${name} ${i + 1}` });
        sounds.attach(input);
        input.addEventListener('input', () => edit(name, (s) => {
          const next = Array.isArray(s[name]) ? (s[name] as unknown[]).slice() : [];
          next[i] = input.value;
          s[name] = next.map((v) => v ?? '');
        }));
        return input;
      });
      const add = h('button', { type: 'button', class: 'small', id: controlId(index, name, '-add'), onclick: () => edit(name, (s) => { s[name] = [...(Array.isArray(s[name]) ? s[name] as unknown[] : []), 'sound:'] }, false) }, `Add to ${name}`);
      return row(name, label, inputs, `${help} · sound:<name> (Asterisk's sounds are suggested as you type), sound:https://…, digits:, tone:… (one per box)`, add);
    }
    const input = h('input', { id: cid, value: typeof value === 'string' ? value : '', autocomplete: 'off', ...(field.template ? { placeholder: 'text, {{variable}}' } : {}) });
    input.addEventListener('input', () => setOrDrop(input.value === '' ? undefined : input.value));
    // The step as it is when "listen" is pressed: its text, voice and language as edited so far.
    const listen = field.speech ? listenButton(controlId(index, name, '-listen'), `${id} ${name}`, () => model.doc.steps[index] ?? {}, name) : null;
    return row(name, label, [input], help, listen);
  };

  const idInput = h('input', { id: controlId(index, 'id'), value: id, autocomplete: 'off' });
  idInput.addEventListener('change', () => {
    const to = idInput.value.trim();
    if (to && to !== id) model.change('canvas', (d) => renameStep(d, id, to));
  });
  const type = typeof step.type === 'string' ? step.type : '?';
  const definition = isStepType(step.type) ? stepDefinition(step.type) : undefined;
  const next = definition && !definition.terminal
    ? row('next', 'next', [stepPicker(controlId(index, 'next'), step.next, 'next goes to', (t) => edit('next', (s) => setExit(s, { field: 'next', label: 'next' }, t), false))],
      exitsOf(doc, index).some((e) => e.implicit) ? 'the step after this one (now: the following step in the list)' : 'the step after this one (default: the following step)')
    : null;
  const element = h('form', { class: 'step-form', 'aria-label': `Step ${id} (${type})`, 'data-step-form': id, onsubmit: (ev: Event) => ev.preventDefault() },
    h('h3', {}, `${id} `, h('span', { class: 'muted' }, `(${type})`)),
    definition ? h('p', { class: 'muted help' }, definition.summary) : h('p', { class: 'error-box' }, `Unknown step type ${type}`),
    row('id', 'id', [idInput], 'the step\'s name; other steps lead to it by this name'),
    definition ? definition.fields.map(control) : null,
    next,
    sounds.element,
    h('div', { class: 'actions' },
      index > 0 ? h('button', { type: 'button', onclick: () => model.change('canvas', (d) => { d.steps.unshift(...d.steps.splice(index, 1)); }) }, 'Make start step') : h('span', { class: 'tag' }, 'start step'),
      ' ',
      h('button', { type: 'button', class: 'danger', onclick: () => { model.change('canvas', (d) => deleteStep(d, index)); model.select(undefined); } }, 'Delete step')));

  const showErrors = (list: FieldError[]): void => {
    for (const [name, { slot, controls }] of errorSlots) {
      const mine = name === 'id' ? list.filter((e) => e.fieldName === `steps[${index}].id`) : fieldErrors(list, index, name);
      slot.replaceChildren(...mine.map((e) => h('p', { class: 'field-error' }, e.message)));
      for (const c of controls) {
        if (mine.length > 0) c.setAttribute('aria-invalid', 'true');
        else c.removeAttribute('aria-invalid');
      }
    }
  };
  showErrors(errors);
  return { element, showErrors };
}
