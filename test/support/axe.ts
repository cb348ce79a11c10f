// axe-core (devDependency) run in a page of the console: the serious and critical violations, with
// a few of the elements each concerns. Evaluated through the DevTools protocol, which the page's
// CSP does not govern (the console allows no inline or foreign script).
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { Page } from 'playwright-core';

const AXE = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

export interface Violation { id: string; impact: string; nodes: Array<{ target: string[] }> }

export async function seriousViolations(page: Page): Promise<Violation[]> {
  await page.evaluate(AXE);
  return page.evaluate<Violation[]>(`
    axe.run(document, { resultTypes: ['violations'] }).then((r) => r.violations
      .filter((v) => v.impact === 'serious' || v.impact === 'critical')
      .map((v) => ({ id: v.id, impact: v.impact, nodes: v.nodes.slice(0, 3).map((n) => ({ target: n.target })) })))`);
}
