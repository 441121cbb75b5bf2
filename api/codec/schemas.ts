// The codec endpoint's body as zod schemas: the Temporal codec-server protocol (proto3 JSON payloads), validated and documented from the same source.
import { z } from 'zod';

const base64 = z.base64('expected base64');

export const CodecPayloadSchema = z
  .object({
    metadata: z.record(z.string(), base64).optional().meta({ description: 'Each value base64, e.g. encoding: "YmluYXJ5L2VuY3J5cHRlZA==" (binary/encrypted)' }),
    data: base64.optional().meta({ description: 'The payload bytes, base64' }),
  })
  .meta({ id: 'CodecPayload', description: 'A Temporal Payload in proto3 JSON: bytes as base64' });

export const CodecPayloadsSchema = z
  // proto3 JSON leaves an empty list out: the CLI sends `{}` for an event without payloads.
  .strictObject({ payloads: z.array(CodecPayloadSchema).max(1_000).default([]) })
  .meta({ id: 'CodecPayloads', description: 'What the Temporal web UI and CLI send to a codec server, and what it answers' });

export type CodecPayloads = z.infer<typeof CodecPayloadsSchema>;

export const CodecSessionFormSchema = z.strictObject({ token: z.string().min(1).max(8_192) });
