// Where a new outgoing call goes (docs/scaling.md#placing-calls): among the servers that are up
// and have a weight above 0, the one with the fewest live calls per unit of weight
// (liveCalls / weight); on a tie, the one chosen least recently, so that an idle fleet is used in
// turn rather than the first server taking every call of a burst.
import type { ServerHealth } from '../port.js';

/** The chosen server's name; undefined when none is up with a weight above 0. */
export function chooseServer(servers: readonly ServerHealth[], lastChosen: ReadonlyMap<string, number>): string | undefined {
  let best: ServerHealth | undefined;
  for (const s of servers) {
    if (!s.up || s.weight <= 0) continue;
    if (!best) {
      best = s;
      continue;
    }
    const load = s.liveCalls / s.weight;
    const bestLoad = best.liveCalls / best.weight;
    if (load < bestLoad || (load === bestLoad && (lastChosen.get(s.name) ?? 0) < (lastChosen.get(best.name) ?? 0))) best = s;
  }
  return best?.name;
}
