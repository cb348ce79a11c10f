// The "/* Options: ... */" header ServiceStack's generators put on top of every DTO file: the
// options a client's `x` tool sends back when it updates the file.

export function optionsHeader(baseUrl: string, generatedAt: string, options: readonly string[]): string {
  return ['/* Options:', `Date: ${generatedAt}`, 'Version: 8.0', 'Tip: To override a DTO option, remove "//" prefix before updating',
    `BaseUrl: ${baseUrl}`, '', ...options.map((o) => `//${o}`), '*/', '', ''].join('\n');
}
