// The settings every variable falls back to when the environment leaves it unset.

export const DEFAULTS = {
  SLACK_API_URL: 'https://slack.com/api/',
  AZURE_AUTHORITY_HOST: 'https://login.microsoftonline.com',
  GRAPH_BASE_URL: 'https://graph.microsoft.com',
  JIT_POLICY_FILE: './policy.yml',
  JIT_DATABASE: './data/jit.sqlite',
  LOG_LEVEL: 'info',
  JIT_HTTP_PORT: '8080',
  // Loopback: /metrics tells who holds access, so it is not served to the network unless asked (Docker sets 0.0.0.0).
  JIT_HTTP_HOST: '127.0.0.1',
  PAGERDUTY_API_URL: 'https://api.pagerduty.com',
} as const;
