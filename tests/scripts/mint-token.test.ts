// `npm run token`: the token it prints is one the API's own verifier accepts, for the subject and role asked for.
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTokenVerifier } from '../../api/http/auth.js';
import { configVariables, loadConfig } from '../../platform/config.js';
import { repositoryRoot } from '../../scripts/local-servers/temporal-cli.js';
import { TEST_SECRETS } from '../support/secrets.js';

const run = promisify(execFile);
let dataDir: string;

/** Runs the script as npm does, with only the given settings (none of the test runner's configuration). */
async function mintToken(args: string[], settings: Record<string, string>): Promise<{ code: number; stdout: string; stderr: string }> {
  const env = Object.fromEntries(Object.entries(process.env).filter(([name]) => !(configVariables as string[]).includes(name)));
  try {
    const { stdout, stderr } = await run(process.execPath, ['--import', 'tsx', 'scripts/mint-token.ts', ...args], { cwd: repositoryRoot, env: { ...env, ...settings } });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failed = error as { code: number; stdout: string; stderr: string };
    return { code: failed.code, stdout: failed.stdout, stderr: failed.stderr };
  }
}

const verify = createTokenVerifier(loadConfig({ JWT_SECRET: TEST_SECRETS.JWT_SECRET }));

beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'ensemble-token-'));
});

afterAll(async () => {
  await rm(dataDir, { recursive: true, force: true });
});

describe('npm run token', () => {
  it('prints one token the API accepts, for the subject and role given', async () => {
    const minted = await mintToken(['--sub', 'C1', '--role', 'customer'], { JWT_SECRET: TEST_SECRETS.JWT_SECRET, DATA_DIR: dataDir });
    expect(minted.code, minted.stderr).toBe(0);
    expect(minted.stdout).toMatch(/^[\w-]+\.[\w-]+\.[\w-]+\n$/);
    await expect(verify(minted.stdout.trim())).resolves.toEqual({ sub: 'C1', role: 'customer' });

    const admin = await mintToken(['--sub', 'ops', '--role', 'admin', '--expires', '5m'], { JWT_SECRET: TEST_SECRETS.JWT_SECRET, DATA_DIR: dataDir });
    await expect(verify(admin.stdout.trim())).resolves.toEqual({ sub: 'ops', role: 'admin' });
  });

  it("signs with the local stack's generated secret when JWT_SECRET is not set", async () => {
    await writeFile(join(dataDir, 'local-secrets.json'), JSON.stringify({ JWT_SECRET: TEST_SECRETS.JWT_SECRET, SERVICE_TOKEN: TEST_SECRETS.SERVICE_TOKEN, PAYLOAD_KEYS: TEST_SECRETS.PAYLOAD_KEYS }));
    const minted = await mintToken(['--sub', 'cust-1'], { DATA_DIR: dataDir });
    expect(minted.code, minted.stderr).toBe(0);
    await expect(verify(minted.stdout.trim())).resolves.toEqual({ sub: 'cust-1', role: 'customer' });
  });

  it('says what to do when there is no secret at all, and refuses bad options with the usage', async () => {
    const empty = await mkdtemp(join(tmpdir(), 'ensemble-token-empty-'));
    try {
      const missing = await mintToken(['--sub', 'C1'], { DATA_DIR: empty });
      expect(missing.code).toBe(1);
      expect(missing.stderr).toMatch(/JWT_SECRET: not set, .*run npm start once/);
      expect(missing.stdout).toBe('');
    } finally {
      await rm(empty, { recursive: true, force: true });
    }
    const badRole = await mintToken(['--sub', 'C1', '--role', 'root'], { JWT_SECRET: TEST_SECRETS.JWT_SECRET, DATA_DIR: dataDir });
    expect(badRole.code).toBe(2);
    expect(badRole.stderr).toMatch(/--role must be one of customer, admin/);
    const noSubject = await mintToken([], { JWT_SECRET: TEST_SECRETS.JWT_SECRET, DATA_DIR: dataDir });
    expect(noSubject.code).toBe(2);
    expect(noSubject.stderr).toMatch(/--sub is required/);
  });
});
