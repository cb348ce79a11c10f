// The store a config asks for: PostgreSQL when DATABASE_URL is set (several engines may share it),
// else the embedded SQLite file at DATABASE_PATH.
import type { Config } from '../config.js';
import type { Store } from './store.js';
import { openSqliteStore } from './sqlite-store.js';
import { openPostgresStore } from './postgres/pg-store.js';

export interface OpenStoreHooks {
  /** PostgreSQL: told when the database becomes unreachable (the reason) and reachable again (undefined). */
  onAvailability?: (problem: string | undefined) => void;
}

export function openStore(config: Pick<Config, 'databasePath' | 'postgres'>, hooks: OpenStoreHooks = {}): Promise<Store> {
  if (!config.postgres) return openSqliteStore(config.databasePath);
  return openPostgresStore({ ...config.postgres, ...(hooks.onAvailability ? { onAvailability: hooks.onAvailability } : {}) });
}
