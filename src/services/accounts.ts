// Who acts on which account. A Manager acts within the account of their token; a
// SystemAdministrator acts on their own account unless they name another one.
import { AppError } from '../domain/errors.js';
import type { Store } from '../store/store.js';

export const ROLES = ['Manager', 'SystemAdministrator'] as const;
export type Role = (typeof ROLES)[number];

export interface Principal {
  subject: string;
  roles: string[];
  accountId: string;
}

export const ACCOUNT_ID = /^[A-Za-z0-9_.-]{1,64}$/;

export function isSystemAdministrator(p: Principal): boolean {
  return p.roles.includes('SystemAdministrator');
}

export class AccountAccess {
  /** Token accounts already ensured by this process: saves a write per request. */
  private readonly ensured = new Set<string>();

  constructor(private readonly store: Store) {}

  /** The account the request acts on; `requested` is what the client named, if anything. */
  async resolve(principal: Principal, requested: string | undefined): Promise<string> {
    if (requested !== undefined && requested !== principal.accountId) {
      if (!ACCOUNT_ID.test(requested)) {
        throw AppError.validation([{ fieldName: 'accountId', errorCode: 'InvalidAccountId', message: 'accountId may hold letters, digits, _ . - (1 to 64)' }]);
      }
      if (!isSystemAdministrator(principal)) {
        throw new AppError('forbidden', 'Forbidden', 'Only a SystemAdministrator may act on another account');
      }
      if (!(await this.store.getAccount(requested))) throw AppError.notFound('Account');
      return requested;
    }
    if (!this.ensured.has(principal.accountId)) {
      // The token's account is vouched for by the token issuer: it exists from its first request.
      await this.store.ensureAccount(principal.accountId, principal.accountId);
      this.ensured.add(principal.accountId);
    }
    return principal.accountId;
  }
}
