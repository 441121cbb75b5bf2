// The envelope every integration event travels in, validated with zod by producers and consumers alike.
import { z } from 'zod';

export const EVENT_VERSION = 1;

export const envelopeSchema = z.strictObject({
  eventId: z.string().min(1).max(200),
  type: z.string().min(1),
  occurredAt: z.iso.datetime(),
  orderId: z.string().min(1).optional(),
  correlationId: z.string().min(1),
  causationId: z.string().min(1),
  version: z.number().int().positive(),
  data: z.unknown(),
});

export type Envelope<TType extends string = string, TData = unknown> = Omit<z.infer<typeof envelopeSchema>, 'type' | 'data'> & {
  type: TType;
  data: TData;
};
