// Configuration is parsed once, with defaults, and a wrong value fails fast naming the variable.
import { describe, expect, it } from 'vitest';
import { ConfigurationError, loadConfig } from '../../platform/config.js';
import { DEFAULT_INVENTORY_TIMEOUT_MS, orderTaskQueue } from '../../workflows/contract.js';

describe('loadConfig', () => {
  it('gives a working default for every variable', () => {
    const config = loadConfig({});
    expect(config).toMatchObject({ PORT: 3000, TEMPORAL_ADDRESS: '127.0.0.1:7233' });
    // Unset, the task queue is the workflow contract's own.
    expect(orderTaskQueue(config)).toBe('orders');
    // Unset, the deadline is the workflow contract's own: five minutes.
    expect(config.INVENTORY_TIMEOUT ?? DEFAULT_INVENTORY_TIMEOUT_MS).toBe(300_000);
    expect(config.DATABASE_URL).toBeUndefined();
  });

  it('reads durations with units', () => {
    expect(loadConfig({ INVENTORY_TIMEOUT: '2s' }).INVENTORY_TIMEOUT).toBe(2_000);
    expect(loadConfig({ INVENTORY_TIMEOUT: '1500' }).INVENTORY_TIMEOUT).toBe(1_500);
    expect(loadConfig({ CONSUMER_RETRY_DELAYS_MS: '100,200' }).CONSUMER_RETRY_DELAYS_MS).toEqual([100, 200]);
  });

  it('names every wrong variable in one error', () => {
    const error = (() => {
      try {
        loadConfig({ PORT: 'eighty', INVENTORY_TIMEOUT: 'soon', AMQP_URL: 'http://rabbit' });
      } catch (e) {
        return e as ConfigurationError;
      }
    })();
    expect(error).toBeInstanceOf(ConfigurationError);
    expect(error?.problems.map((p) => p.variable).sort()).toEqual(['AMQP_URL', 'INVENTORY_TIMEOUT', 'PORT']);
    expect(error?.message).toMatch(/INVENTORY_TIMEOUT: expected a duration/);
  });

  it("reads TRUST_PROXY once into what express's trust proxy takes, and refuses anything else by name", () => {
    expect(loadConfig({}).TRUST_PROXY).toBe(false);
    expect(loadConfig({ TRUST_PROXY: 'true' }).TRUST_PROXY).toBe(true);
    expect(loadConfig({ TRUST_PROXY: '2' }).TRUST_PROXY).toBe(2);
    expect(loadConfig({ TRUST_PROXY: 'loopback, 10.0.0.0/8,::1' }).TRUST_PROXY).toEqual(['loopback', '10.0.0.0/8', '::1']);
    for (const wrong of ['yes', '10.0.0.0/33', 'proxy.example.com']) {
      expect(() => loadConfig({ TRUST_PROXY: wrong }), wrong).toThrow(/TRUST_PROXY: expected false, true, a hop count/);
    }
  });

  it('reads RATE_LIMIT_PER_MINUTE as a positive whole number', () => {
    expect(loadConfig({}).RATE_LIMIT_PER_MINUTE).toBe(1_200);
    expect(loadConfig({ RATE_LIMIT_PER_MINUTE: '30' }).RATE_LIMIT_PER_MINUTE).toBe(30);
    expect(() => loadConfig({ RATE_LIMIT_PER_MINUTE: '0' })).toThrow(/RATE_LIMIT_PER_MINUTE/);
  });

  it('reads AMQP_URL as one broker or a comma-separated list of a cluster\'s nodes', () => {
    expect(loadConfig({}).AMQP_URL).toEqual(['amqp://guest:guest@127.0.0.1:5672']);
    expect(loadConfig({ AMQP_URL: 'amqp://u:p@127.0.0.1:5701, amqp://u:p@127.0.0.1:5702,amqp://u:p@127.0.0.1:5703' }).AMQP_URL).toEqual([
      'amqp://u:p@127.0.0.1:5701',
      'amqp://u:p@127.0.0.1:5702',
      'amqp://u:p@127.0.0.1:5703',
    ]);
    expect(() => loadConfig({ AMQP_URL: 'amqp://127.0.0.1:5701,http://127.0.0.1:5702' })).toThrow(/AMQP_URL: expected an amqp:\/\/ or amqps:\/\/ URL/);
    expect(() => loadConfig({ AMQP_URL: ' , ' })).toThrow(/AMQP_URL: expected at least one/);
  });

  it('keeps the retry and unroutable queues classic unless RABBITMQ_QUEUE_TYPE asks for quorum', () => {
    expect(loadConfig({}).RABBITMQ_QUEUE_TYPE).toBe('classic');
    expect(loadConfig({ RABBITMQ_QUEUE_TYPE: 'quorum' }).RABBITMQ_QUEUE_TYPE).toBe('quorum');
    expect(() => loadConfig({ RABBITMQ_QUEUE_TYPE: 'stream' })).toThrow(/RABBITMQ_QUEUE_TYPE/);
  });

  it('treats an empty variable as unset', () => {
    expect(loadConfig({ PORT: '' }).PORT).toBe(3000);
  });
});
