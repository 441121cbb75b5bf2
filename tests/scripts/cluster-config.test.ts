// The production-shaped stack's generated configuration: the Temporal server's YAML and the RabbitMQ cluster's plan.
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { instanceAddressing, planInstances, rotatedNodeUrls } from '../../scripts/local-servers/cluster-instances.js';
import { planRabbitCluster } from '../../scripts/local-servers/rabbitmq-cluster.js';
import { MAX_MEMBERSHIP_PORT, temporalServerConfig, toYaml, type TemporalServerConfigOptions } from '../../scripts/local-servers/temporal-server-config.js';

const options: TemporalServerConfigOptions = {
  ports: {
    grpc: { frontend: 41001, history: 41002, matching: 41003, worker: 41004 },
    membership: { frontend: 21001, history: 21002, matching: 21003, worker: 21004 },
    frontendHttp: 41005,
    metrics: 41006,
  },
  database: { host: '127.0.0.1', port: 45432, user: 'temporal', password: 'p"a:ss #1', database: 'temporal', visibilityDatabase: 'temporal_visibility' },
  historyShards: 4,
};

describe('the Temporal server configuration', () => {
  it('puts persistence and visibility on PostgreSQL (postgres12) with several history shards, and every service on loopback', () => {
    const config = parse(toYaml(temporalServerConfig(options)));
    expect(config.persistence.numHistoryShards).toBe(4);
    expect(config.persistence.datastores[config.persistence.defaultStore].sql).toMatchObject({
      pluginName: 'postgres12', databaseName: 'temporal', connectAddr: '127.0.0.1:45432', user: 'temporal', password: 'p"a:ss #1',
    });
    expect(config.persistence.datastores[config.persistence.visibilityStore].sql).toMatchObject({ pluginName: 'postgres12', databaseName: 'temporal_visibility' });
    expect(config.services.frontend.rpc).toEqual({ grpcPort: 41001, membershipPort: 21001, bindOnLocalHost: true, httpPort: 41005 });
    for (const service of ['history', 'matching', 'worker']) expect(config.services[service].rpc.bindOnLocalHost).toBe(true);
    expect(config.clusterMetadata.clusterInformation.active.rpcAddress).toBe('127.0.0.1:41001');
    expect(config.global.metrics.prometheus.listenAddress).toBe('127.0.0.1:41006');
  });

  it('writes values as the types they are: a password of digits stays a string, ports stay numbers', () => {
    const yaml = toYaml(temporalServerConfig({ ...options, database: { ...options.database, password: '0123' } }));
    const config = parse(yaml);
    expect(config.persistence.datastores['postgres-default'].sql.password).toBe('0123');
    expect(config.services.history.rpc.grpcPort).toBe(41002);
    expect(yaml).toContain('numHistoryShards: 4\n');
  });

  it('refuses a membership port the server could not store, and a shard count that is not positive', () => {
    const highPort = { ...options, ports: { ...options.ports, membership: { ...options.ports.membership, history: MAX_MEMBERSHIP_PORT + 1 } } };
    expect(() => temporalServerConfig(highPort)).toThrow(/history service's membership port 32768 is above 32767/);
    expect(() => temporalServerConfig({ ...options, historyShards: 0 })).toThrow(/historyShards/);
  });
});

describe('the RabbitMQ cluster plan', () => {
  it('gives each of three nodes its own name, data directory and distinct AMQP, management and distribution ports', async () => {
    const plan = await planRabbitCluster({ dataDir: '/tmp/cluster', namePrefix: 'ensemble-test' });
    expect(plan.map((node) => node.nodeName)).toEqual(['ensemble-test-1@localhost', 'ensemble-test-2@localhost', 'ensemble-test-3@localhost']);
    expect(plan.map((node) => node.dataDir)).toEqual(['/tmp/cluster/node-1', '/tmp/cluster/node-2', '/tmp/cluster/node-3']);
    const ports = plan.flatMap((node) => [node.port, node.managementPort, node.distPort]);
    expect(new Set(ports).size).toBe(9);
  });
});

describe('the component instances', () => {
  const counter = () => {
    let next = 5000;
    return async () => next++;
  };

  it('runs two of every component but the payment and carrier stand-ins, each on a port of its own, in start order', async () => {
    const instances = await planInstances(2, counter());
    expect(instances.map((instance) => instance.name)).toEqual([
      'payment-provider', 'inventory#1', 'inventory#2', 'notifications#1', 'notifications#2', 'order-outcome#1', 'order-outcome#2',
      'order-view#1', 'order-view#2', 'carrier', 'shipping#1', 'shipping#2', 'worker#1', 'worker#2', 'api#1', 'api#2',
    ]);
    expect(new Set(instances.map((instance) => instance.port)).size).toBe(instances.length);
    await expect(planInstances(0, counter())).rejects.toThrow(/positive integer/);
  });

  it('pairs each instance with the same-numbered instance of the others, and the single stand-ins with everyone', async () => {
    const instances = await planInstances(2, counter());
    const port = (name: string) => instances.find((instance) => instance.name === name)!.port;
    const secondApi = instanceAddressing(instances.find((instance) => instance.name === 'api#2')!, instances);
    expect(secondApi).toMatchObject({
      PORT: String(port('api#2')),
      ORDER_VIEW_URL: `http://127.0.0.1:${port('order-view#2')}`,
      INVENTORY_URL: `http://127.0.0.1:${port('inventory#2')}`,
      PAYMENT_PROVIDER_URL: `http://127.0.0.1:${port('payment-provider')}`,
      CARRIER_URL: `http://127.0.0.1:${port('carrier')}`,
    });
    const firstWorker = instanceAddressing(instances.find((instance) => instance.name === 'worker#1')!, instances);
    expect(firstWorker).toMatchObject({ WORKER_METRICS_PORT: String(port('worker#1')), SHIPPING_URL: `http://127.0.0.1:${port('shipping#1')}` });
  });

  it('gives each instance every broker node, starting from a different one', () => {
    const nodes = ['amqp://a', 'amqp://b', 'amqp://c'];
    expect(rotatedNodeUrls(nodes, 0)).toEqual(['amqp://a', 'amqp://b', 'amqp://c']);
    expect(rotatedNodeUrls(nodes, 1)).toEqual(['amqp://b', 'amqp://c', 'amqp://a']);
    expect(rotatedNodeUrls(nodes, 4)).toEqual(['amqp://b', 'amqp://c', 'amqp://a']);
  });
});
