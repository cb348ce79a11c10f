// The store's timestamps: ISO 8601 in UTC, which sort as text in SQL.
export function now(): string {
  return new Date().toISOString();
}
