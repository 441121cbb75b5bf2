// `npm run bench` options: the defaults a bare run and --quick get, and a bad value stops the bench naming the option.
import { describe, expect, it } from 'vitest';
import { BenchOptionsError, parseBenchOptions, USAGE } from '../../bench/options.js';
import { SCENARIO_NAMES } from '../../bench/scenarios/scenario.js';

/** The error a bad command line gives; fails the test when it parses instead. */
function refusal(argv: string[]): BenchOptionsError {
  try {
    parseBenchOptions(argv, {});
  } catch (error) {
    if (error instanceof BenchOptionsError) return error;
    throw error;
  }
  throw new Error(`${argv.join(' ')} was accepted`);
}

describe('parseBenchOptions', () => {
  it('runs every scenario in a closed loop of four clients for three 20-second rounds by default', () => {
    expect(parseBenchOptions([], {})).toEqual({
      concurrency: 4,
      durationSeconds: 20,
      rounds: 3,
      warmupSeconds: 10,
      rampSeconds: 3,
      scenarios: [...SCENARIO_NAMES],
      quick: false,
      temporalAddress: '127.0.0.1:7233',
      amqpUrl: 'amqp://guest:guest@127.0.0.1:5672',
      eventsExchange: 'ensemble.events',
      pids: {},
      outputDir: 'bench/results',
    });
  });

  it('shortens every phase under --quick, and an explicit value still wins over the quick default', () => {
    expect(parseBenchOptions(['--quick'], {})).toMatchObject({ quick: true, durationSeconds: 8, rounds: 2, warmupSeconds: 3, rampSeconds: 2 });
    expect(parseBenchOptions(['--quick', '--duration', '5', '--rounds', '1'], {})).toMatchObject({ durationSeconds: 5, rounds: 1, warmupSeconds: 3 });
  });

  it('takes an open loop rate, a subset of scenarios without repeats, and a running stack with its addresses', () => {
    const options = parseBenchOptions(
      ['--rate', '12.5', '--scenarios', 'full, http,full', '--url', 'http://127.0.0.1:3000/', '--temporal-address', 'temporal:7233', '--amqp-url', 'amqp://bench:x@rabbit:5672', '--events-exchange', 'other.events'],
      {},
    );
    expect(options).toMatchObject({
      rate: 12.5,
      scenarios: ['full', 'http'],
      // Without the trailing slash, so paths can be appended.
      url: 'http://127.0.0.1:3000',
      temporalAddress: 'temporal:7233',
      amqpUrl: 'amqp://bench:x@rabbit:5672',
      eventsExchange: 'other.events',
    });
  });

  it("falls back to the stack's own environment for Temporal, the broker and the exchange", () => {
    const options = parseBenchOptions(['--url', 'http://api:3000'], { TEMPORAL_ADDRESS: 'env-temporal:7233', AMQP_URL: 'amqp://env-rabbit', EVENTS_EXCHANGE: 'env.events' });
    expect(options).toMatchObject({ temporalAddress: 'env-temporal:7233', amqpUrl: 'amqp://env-rabbit', eventsExchange: 'env.events' });
  });

  it('reads --pids as name=pid pairs', () => {
    expect(parseBenchOptions(['--url', 'http://api:3000', '--pids', 'api=1234, bench-worker=5678'], {}).pids).toEqual({ api: 1234, 'bench-worker': 5678 });
  });

  it.each([
    [['--concurrency', '0'], /--concurrency must be at least 1/],
    [['--concurrency', '1.5'], /--concurrency must be a whole number/],
    [['--concurrency', 'four'], /--concurrency must be a number/],
    [['--rate', '0'], /--rate must be above 0/],
    [['--rate', 'fast'], /--rate must be a number/],
    [['--duration', '0.5'], /--duration must be at least 1/],
    [['--rounds', '0'], /--rounds must be at least 1/],
    [['--warmup=-1'], /--warmup must be at least 0/],
    [['--ramp', 'soon'], /--ramp must be a number of seconds/],
    [['--scenarios', 'http,nope'], /--scenarios: unknown nope; choose from http, empty/],
    [['--scenarios', ','], /--scenarios: unknown \(none given\)/],
    [['--url', 'not a url'], /--url must be a URL/],
    [['--url', 'localhost:3000'], /--url must be a URL/],
    [['--url', 'http://api:3000', '--temporal-address', 'temporal'], /--temporal-address must be host:port/],
    [['--url', 'http://api:3000', '--amqp-url', 'http://rabbit'], /--amqp-url must be an amqp:\/\/ URL/],
    [['--url', 'http://api:3000', '--pids', 'api:1234'], /--pids must look like api=1234/],
    [['--events-exchange', ''], /--events-exchange must not be empty/],
    [['--output', ''], /--output must not be empty/],
  ])('refuses %j naming the option', (argv, message) => {
    const error = refusal(argv);
    expect(error.message).toMatch(message);
    // The usage follows, so the person at the terminal sees what would have been right.
    expect(error.message).toContain(USAGE);
  });

  it('refuses an unknown flag or a stray argument with the usage', () => {
    expect(refusal(['--concurency', '4']).message).toMatch(/Unknown option '--concurency'[\s\S]*Usage: npm run bench/);
    expect(refusal(['full']).message).toMatch(/Unexpected argument 'full'[\s\S]*Usage: npm run bench/);
  });

  it('refuses the options that describe a running stack without --url, which says which stack', () => {
    expect(refusal(['--temporal-address', 'temporal:7233']).message).toMatch(/use them with --url/);
    expect(refusal(['--amqp-url', 'amqp://rabbit']).message).toMatch(/use them with --url/);
    expect(refusal(['--pids', 'api=1']).message).toMatch(/use them with --url/);
  });
});
