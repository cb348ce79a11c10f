// Accounts. Their ids come from token claims: an account's row is created by its first write
// (ensureAccountStep, in that write's transaction) or by ensureAccount.
import type { Account } from '../domain/model.js';
import type { Db, Row, SqlStep } from './db.js';
import type { Store } from './store.js';
import { now } from './clock.js';

interface AccountRow extends Row { id: string; name: string; date_created: string }

function toAccount(r: AccountRow): Account {
  return { id: r.id, name: r.name, dateCreated: r.date_created };
}

export function ensureAccountStep(accountId: string, at: string): SqlStep {
  // Accounts come from token claims; the first write of an account creates its row.
  return { sql: 'INSERT OR IGNORE INTO accounts (id, name, date_created) VALUES (?, ?, ?)', params: [accountId, accountId, at] };
}

export class AccountsRepo implements Pick<Store, 'ensureAccount' | 'getAccount'> {
  constructor(private readonly db: Db) {}

  async ensureAccount(id: string, name: string): Promise<Account> {
    const account = await this.db.transaction(async () => {
      await this.db.runRaw('INSERT OR IGNORE INTO accounts (id, name, date_created) VALUES (?, ?, ?)', [id, name, now()]);
      return this.getAccount(id);
    });
    if (!account) throw new Error(`account ${id} was not stored`);
    return account;
  }

  async getAccount(id: string): Promise<Account | undefined> {
    const row = await this.db.get<AccountRow>('SELECT id, name, date_created FROM accounts WHERE id = ?', [id]);
    return row && toAccount(row);
  }
}
