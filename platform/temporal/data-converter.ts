// The one data converter of every Temporal client, worker and replayer: payloads and failures encrypted with PAYLOAD_KEYS.
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { defaultPayloadConverter, type DataConverter, type FailureConverter, type LoadedDataConverter } from '@temporalio/common';
import { requireSetting, type Config } from '../config.js';
import { AesGcmPayloadCodec, type PayloadKey } from './payload-codec.js';

/** Loaded by path: the worker require()s it and the workflow bundler bundles it, so workflow failures are encoded in the sandbox too. */
export const failureConverterPath = fileURLToPath(new URL('./failure-converter.cjs', import.meta.url));

/** The same failure converter the worker loads by path, for the clients that take it as an object. */
const { failureConverter } = createRequire(import.meta.url)(failureConverterPath) as { failureConverter: FailureConverter };

/** What a worker (Worker.create, Worker.runReplayHistories) takes: the codec, and the failure converter by path. */
export function workerDataConverter(keys: readonly PayloadKey[]): DataConverter {
  return { payloadCodecs: [new AesGcmPayloadCodec(keys)], failureConverterPath };
}

/** What a client takes: the same converter, already loaded. */
export function clientDataConverter(keys: readonly PayloadKey[]): LoadedDataConverter {
  return { payloadConverter: defaultPayloadConverter, failureConverter, payloadCodecs: [new AesGcmPayloadCodec(keys)] };
}

/** Every component that talks to Temporal must have the keys: without them it would write plain data, or fail to read its own. */
export function payloadKeysOf(config: Pick<Config, 'PAYLOAD_KEYS'>): PayloadKey[] {
  return requireSetting(config as Config, 'PAYLOAD_KEYS', 'by every Temporal client and worker: it encrypts what they store in Temporal');
}
