// Live updates by polling with back-off: quick while things change, slower while nothing does or calls fail, paused in a hidden tab.

/**
 * Calls `poll` now and again and again: it resolves true when it saw a change. The delay starts at minMs, doubles
 * (to maxMs) after every unchanged or failed poll and drops back to minMs on a change, so a quiet page costs about one
 * call per maxMs, far inside the API's per-client rate limit. Returns stop().
 */
export function startPolling(poll, { minMs = 1_000, maxMs = 15_000 } = {}) {
  let delay = minMs;
  let timer;
  let stopped = false;
  const schedule = () => {
    if (!stopped) timer = setTimeout(tick, delay);
  };
  const tick = async () => {
    if (document.hidden) {
      schedule();
      return;
    }
    let changed = false;
    try {
      changed = await poll();
    } catch {
      changed = false;
    }
    delay = changed ? minMs : Math.min(maxMs, delay * 2);
    schedule();
  };
  const onVisible = () => {
    if (!document.hidden && !stopped) {
      clearTimeout(timer);
      delay = minMs;
      void tick();
    }
  };
  document.addEventListener('visibilitychange', onVisible);
  schedule();
  return () => {
    stopped = true;
    clearTimeout(timer);
    document.removeEventListener('visibilitychange', onVisible);
  };
}
