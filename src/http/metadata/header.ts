// The "/* Options: ... */" header ServiceStack's generators put on top of every DTO file: the
// options a client's `x` tool sends back when it updates the file.

/** `comment` is the language's comment prefix and block delimiters (Python: `#` inside `"""`). */
export function optionsHeader(baseUrl: string, generatedAt: string, options: readonly string[], comment = { open: '/*', close: '*/', line: '//' }): string {
  return [`${comment.open} Options:`, `Date: ${generatedAt}`, 'Version: 8.0', `Tip: To override a DTO option, remove "${comment.line}" prefix before updating`,
    `BaseUrl: ${baseUrl}`, '', ...options.map((o) => `${comment.line}${o}`), comment.close, '', ''].join('\n');
}
