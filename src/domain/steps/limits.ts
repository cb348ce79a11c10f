// Bounds of a flow document, checked on save.
export const FLOW_LIMITS = {
  maxSteps: 200,
  maxNameLength: 200,
  maxStepIdLength: 64,
  maxMediaPerList: 20,
  maxMediaUriLength: 256,
  /** A media URL, plain `http(s)://…` or `sound:http(s)://…`. */
  maxMediaUrlLength: 1024,
  maxTemplateLength: 1000,
  maxDigits: { min: 1, max: 32 },
  timeoutMs: { min: 0, max: 120_000 },
  attempts: { min: 1, max: 10 },
  pauseMs: { min: 0, max: 600_000 },
  recordMaxDurationMs: { min: 0, max: 3_600_000 },
  recordMaxSilenceMs: { min: 0, max: 120_000 },
  maxMapEntries: 50,
  maxCaseValueLength: 100,
  /** Nesting depth of the whole document (a valid one needs 4). */
  maxDepth: 16,
  /** Errors reported at most; the rest are summarized in one. */
  maxErrors: 50,
} as const;

const CONTROL_CHARS = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/;

export function safeText(value: string): boolean {
  return !CONTROL_CHARS.test(value);
}
