// npm run manifest:check [-- --schema PATH]: checks manifest.yml with the project's own rules (manifest-rules.ts)
// and, given the path of Slack's published manifest JSON schema, against that schema too. The schema is not
// part of this repository; download it from Slack's documentation when you want that second check.

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Ajv } from 'ajv';
import formatsPlugin from 'ajv-formats';
import { parse } from 'yaml';
import { checkManifest, methodsCalled, OPTIONAL_SCOPES, requiredScopes } from './manifest-rules.js';

const root = join(import.meta.dirname, '..');
const text = readFileSync(join(root, 'manifest.yml'), 'utf8');
const { scopes, optional, unknown } = requiredScopes(methodsCalled(join(root, 'src')));
const problems = [
  ...unknown.map((method) => `the code calls ${method}, whose scope manifest-rules.ts does not know`),
  ...checkManifest(text, scopes, optional),
];

const schemaAt = process.argv.indexOf('--schema');
const schemaPath = schemaAt >= 0 ? process.argv[schemaAt + 1] : undefined;
if (schemaPath) {
  // Slack's v1 schema uses a custom `regex` keyword, so it compiles only with strict mode off.
  const ajv = new Ajv({ strict: false, allErrors: true });
  (formatsPlugin as unknown as { default: (ajv: Ajv) => Ajv }).default(ajv);
  const validate = ajv.compile(JSON.parse(readFileSync(schemaPath, 'utf8')));
  if (!validate(parse(text))) problems.push(...(validate.errors ?? []).map((error) => `schema: ${error.instancePath} ${error.message}`));
}

if (problems.length > 0) {
  process.stderr.write(`manifest.yml has problems:\n${problems.map((problem) => `  - ${problem}`).join('\n')}\n`);
  process.exitCode = 1;
} else {
  process.stdout.write(`manifest.yml is fine${schemaPath ? ', and matches the schema' : ''}; bot scopes: ${scopes.join(', ')}\n`);
  for (const scope of optional) process.stdout.write(`add ${scope} to the app only if the policy uses ${OPTIONAL_SCOPES[scope]}\n`);
}
