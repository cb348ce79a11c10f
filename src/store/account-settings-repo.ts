// Account settings: one row per account that changed them; the others read as the defaults.
import type { AccountSettings } from '../domain/model.js';
import type { Db, Row, SqlStep } from './db.js';
import { now } from './clock.js';

interface SettingsRow extends Row { account_id: string; caller_id_passthrough: number; date_modified: string }

export interface SettingsChange {
  callerIdPassthrough?: boolean;
}

/** The Store's part for account settings (store.ts extends it). */
export interface AccountSettingsStore {
  getAccountSettings(accountId: string): Promise<AccountSettings>;
  updateAccountSettings(accountId: string, change: SettingsChange): Promise<AccountSettings>;
}

export class AccountSettingsRepo implements AccountSettingsStore {
  constructor(private readonly db: Db, private readonly ensureAccount: (accountId: string, at: string) => SqlStep) {}

  async getAccountSettings(accountId: string): Promise<AccountSettings> {
    const row = await this.db.get<SettingsRow>(
      'SELECT account_id, caller_id_passthrough, date_modified FROM account_settings WHERE account_id = ?', [accountId]);
    return row
      ? { accountId, callerIdPassthrough: row.caller_id_passthrough === 1, dateModified: row.date_modified }
      : { accountId, callerIdPassthrough: false, dateModified: null };
  }

  async updateAccountSettings(accountId: string, change: SettingsChange): Promise<AccountSettings> {
    const at = now();
    return this.db.transaction(async () => {
      const ensure = this.ensureAccount(accountId, at);
      await this.db.runRaw(ensure.sql, ensure.params);
      // A field left out keeps its stored value (or its default on the first write).
      await this.db.runRaw(
        `INSERT INTO account_settings (account_id, caller_id_passthrough, date_modified) VALUES (?, COALESCE(?, 0), ?)
         ON CONFLICT (account_id) DO UPDATE SET caller_id_passthrough = COALESCE(?, caller_id_passthrough), date_modified = excluded.date_modified`,
        [accountId, flag(change.callerIdPassthrough), at, flag(change.callerIdPassthrough)]);
      return this.getAccountSettings(accountId);
    });
  }
}

function flag(value: boolean | undefined): number | null {
  return value === undefined ? null : value ? 1 : 0;
}
