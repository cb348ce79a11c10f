// The account as its users see it, with its settings (GetAccount / PatchAccount on /account).
// Caller-ID pass-through lets a dial step present a number the account does not own (the first
// party's): a spoofing risk, so only a SystemAdministrator may turn it on; anyone may turn it off.
import { AppError, type FieldError } from '../domain/errors.js';
import type { Account, AccountSettings } from '../domain/model.js';
import type { Store } from '../store/store.js';
import { isSystemAdministrator, type Principal } from './accounts.js';
import { readBoolean, throwIfAny, type Input } from './input.js';

export interface AccountDetail {
  account: Account;
  settings: AccountSettings;
}

export class AccountSettingsService {
  constructor(private readonly store: Store) {}

  async get(accountId: string): Promise<AccountDetail> {
    const account = await this.store.getAccount(accountId);
    if (!account) throw AppError.notFound('Account');
    return { account, settings: await this.store.getAccountSettings(accountId) };
  }

  async update(principal: Principal, accountId: string, input: Input): Promise<AccountDetail> {
    const errors: FieldError[] = [];
    const callerIdPassthrough = readBoolean(input, 'callerIdPassthrough', errors);
    throwIfAny(errors);
    const current = await this.get(accountId);
    if (callerIdPassthrough === true && !current.settings.callerIdPassthrough && !isSystemAdministrator(principal)) {
      throw new AppError('forbidden', 'Forbidden',
        'Only a SystemAdministrator may turn callerIdPassthrough on: it presents numbers the account does not own');
    }
    if (callerIdPassthrough === undefined) return current;
    return { account: current.account, settings: await this.store.updateAccountSettings(accountId, { callerIdPassthrough }) };
  }
}
