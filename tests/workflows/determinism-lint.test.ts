// The lint rule that keeps workflow code deterministic: Node built-ins, I/O and randomness are refused in workflows/.
import { ESLint } from 'eslint';
import { describe, expect, it } from 'vitest';

const eslint = new ESLint({ cwd: process.cwd() });

async function problemsIn(code: string, filePath: string): Promise<string[]> {
  const [result] = await eslint.lintText(code, { filePath });
  return (result?.messages ?? []).map((message) => `${message.ruleId}: ${message.message}`);
}

describe('workflow determinism lint', () => {
  it('refuses Node built-ins, activity implementations, timers and Math.random in workflows/', async () => {
    const problems = await problemsIn(
      [
        "import { readFileSync } from 'node:fs';",
        "import { createActivities } from '../activities/index.js';",
        'export function bad(): number {',
        '  setTimeout(() => undefined, 10);',
        '  void readFileSync; void createActivities;',
        '  return Math.random();',
        '}',
      ].join('\n'),
      'workflows/order-workflow.ts',
    );
    expect(problems.filter((p) => p.startsWith('no-restricted-imports'))).toHaveLength(2);
    expect(problems.some((p) => p.startsWith('no-restricted-globals'))).toBe(true);
    expect(problems.some((p) => p.startsWith('no-restricted-properties'))).toBe(true);
  });

  it('allows the same code outside workflows/', async () => {
    const problems = await problemsIn("import { readFileSync } from 'node:fs';\nexport const read = readFileSync;\n", 'activities/index.ts');
    expect(problems.filter((p) => p.startsWith('no-restricted'))).toEqual([]);
  });
});
