// The worker's heap limit under npm start and start:cluster: the setting, and the NODE_OPTIONS the worker is given.
import { describe, expect, it } from 'vitest';
import { workerHeapLimitSetting, workerNodeOptions } from '../../scripts/local-servers/worker-heap.js';

describe('WORKER_HEAP_LIMIT_MB', () => {
  it('is 256 MiB unless set, 0 for V8\'s own limit, and refuses a limit too small to run the worker', () => {
    expect(workerHeapLimitSetting.parse(undefined)).toBe(256);
    expect(workerHeapLimitSetting.parse('0')).toBe(0);
    expect(workerHeapLimitSetting.parse('512')).toBe(512);
    const refused = workerHeapLimitSetting.safeParse('64');
    expect(refused.success).toBe(false);
    expect(refused.error?.issues[0]?.message).toBe('expected 0 (V8\'s own limit) or at least 128 (MiB)');
    expect(workerHeapLimitSetting.safeParse('lots').success).toBe(false);
  });
});

describe('the worker\'s NODE_OPTIONS', () => {
  it('carries the limit, before the caller\'s own options so that their --max-old-space-size wins', () => {
    expect(workerNodeOptions(256, undefined)).toEqual({ NODE_OPTIONS: '--max-old-space-size=256' });
    expect(workerNodeOptions(256, '--enable-source-maps --max-old-space-size=1024')).toEqual({
      NODE_OPTIONS: '--max-old-space-size=256 --enable-source-maps --max-old-space-size=1024',
    });
  });

  it('leaves the caller\'s options alone, or sets none, when the limit is V8\'s own', () => {
    expect(workerNodeOptions(0, '--enable-source-maps')).toEqual({ NODE_OPTIONS: '--enable-source-maps' });
    expect(workerNodeOptions(0, undefined)).toEqual({});
    expect(workerNodeOptions(0, '  ')).toEqual({});
  });
});
