// Toll-fraud guard: which destinations an outgoing call may reach. Countries and number types
// come from libphonenumber-js (max metadata), the same classification the README documents.
import type { FieldError } from './errors.js';
import { numberInfo, type NumberInfo } from './e164.js';

export interface DestinationPolicy {
  /** ISO 3166-1 alpha-2 countries (`US`) or E.164 prefixes (`+44`); empty: every destination. */
  allowedDestinations: string[];
  /** libphonenumber-js types (`PREMIUM_RATE`, `SHARED_COST`, ...); `UNKNOWN` matches numbers without a type. */
  blockedNumberTypes: string[];
}

function matchesRule(rule: string, e164: string, country: string | undefined): boolean {
  const trimmed = rule.trim();
  if (trimmed.startsWith('+')) return trimmed.length > 1 && e164.startsWith(trimmed);
  return country !== undefined && trimmed.toUpperCase() === country;
}

/** undefined when the policy allows dialing `e164` (a number that passed `checkE164`). */
export function checkDestination(e164: string, policy: DestinationPolicy, fieldName = 'numberToDial', info: NumberInfo = numberInfo(e164)): FieldError | undefined {
  const { country, type } = info;
  const allowed = policy.allowedDestinations.filter((r) => r.trim() !== '');
  if (allowed.length > 0 && !allowed.some((rule) => matchesRule(rule, e164, country))) {
    return {
      fieldName,
      errorCode: 'DestinationNotAllowed',
      message: `${fieldName}: calls to ${country ?? 'this destination'} are not allowed (allowed: ${allowed.join(', ')})`,
    };
  }
  const blocked = new Set(policy.blockedNumberTypes.map((t) => t.trim().toUpperCase()));
  const effectiveType = type ?? 'UNKNOWN';
  if (blocked.has(effectiveType)) {
    return {
      fieldName,
      errorCode: 'HighRiskNumberType',
      message: `${fieldName}: ${effectiveType} numbers are refused as destinations`,
    };
  }
  return undefined;
}
