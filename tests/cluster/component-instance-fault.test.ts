// Issue 12: instance #1 of every component killed under a stream of orders; the twins carry on, the supervisor restarts the dead, nothing lost, nothing doubled.
import { describe, expect, it } from 'vitest';
import { eventually } from '../support/broker.js';
import { call } from '../support/http.js';
import { clusterStackForSuite, expectOrdersSurvive, FAULT_SCENARIO_TIMEOUT_MS } from '../support/faults/orders-survive.js';
import { escapeRegExp, startedComponents, waitForOutput } from '../support/supervisor.js';

/** Every component that runs as a pair; the payment and carrier stand-ins are outside services, one of each. */
const PAIRED = ['inventory', 'notifications', 'order-outcome', 'order-view', 'shipping', 'worker', 'api'];

describe('one instance of each component killed under a stream of orders', () => {
  const stack = clusterStackForSuite();

  it('keeps confirming orders through the twins while the killed instances are down, and completes every order once after the supervisor restarts them', async () => {
    const victims = PAIRED.map((component) => `${component}#1`);
    let acceptedAfterKill = 0;

    const { scenario } = await expectOrdersSurvive(stack(), { before: 30, during: 60, after: 30 }, async (scenario) => {
      const output = stack().supervisor.output();
      const pids = Object.fromEntries(victims.map((name) => [name, startedComponents(output).filter((started) => started.name === name).at(-1)!.pid]));
      const firstAfterKill = scenario.orderIds.length;
      const killedAt = Date.now();
      // SIGKILL on each process group, as a node failure or an OOM kill would: no graceful stop, unacked messages and
      // in-flight activities abandoned mid-way.
      for (const name of victims) process.kill(-pids[name]!, 'SIGKILL');

      // When each killed instance answers again: until then its twin alone does its work.
      const back = Promise.all(victims.map(async (name) => {
        await waitForOutput(stack().supervisor, new RegExp(`started ${escapeRegExp(name)} \\(pid (?!${pids[name]}\\))\\d+\\)`), 60_000);
        return eventually(async () => {
          const health = await call(`${stack().instances[name]}/health`);
          expect(health.status, `${name} /health`).toBe(200);
          return { name, at: Date.now() };
        }, { timeoutMs: 180_000, intervalMs: 100 });
      }));

      // An order accepted after the kill (by API #2, or by API #1's retry moved to it) and confirmed, read through API
      // #2: cart checked by worker #2, stock reserved by inventory #2, the outcome signalled by order-outcome #2.
      const confirmed = eventually(async () => {
        const placedSince = scenario.orderIds.slice(firstAfterKill, firstAfterKill + 10);
        const statuses = await Promise.all(placedSince.map(async (orderId) => (await call(`${stack().apis[1]}/orders/${orderId}`)).body?.status as string));
        expect(statuses, 'orders accepted after the kill').toContain('CONFIRMED');
        return Date.now();
      }, { timeoutMs: 120_000, intervalMs: 100 });

      const [confirmedAt, returns] = await Promise.all([confirmed, back]);
      const firstBack = returns.reduce((earliest, entry) => (entry.at < earliest.at ? entry : earliest));
      expect(confirmedAt - killedAt, `an order confirmed ${confirmedAt - killedAt} ms after the kill, but ${firstBack.name} was back after ${firstBack.at - killedAt} ms`).toBeLessThan(firstBack.at - killedAt);
      acceptedAfterKill = scenario.orderIds.length - firstAfterKill;
    });

    // Orders first sent to the dead API #1 were accepted by API #2 under the same idempotency key, each once (the ledger).
    expect(acceptedAfterKill).toBeGreaterThan(0);
    expect(scenario.failedOver, 'orders API #2 took over from the dead API #1').toBeGreaterThan(0);
    // Each killed instance died once and was restarted, not the stack.
    for (const name of victims) {
      expect(stack().supervisor.output()).toMatch(new RegExp(`${escapeRegExp(name)} exited unexpectedly \\(signal SIGKILL\\); restarting`));
      expect(startedComponents(stack().supervisor.output()).filter((started) => started.name === name)).toHaveLength(2);
    }
  }, FAULT_SCENARIO_TIMEOUT_MS);
});
