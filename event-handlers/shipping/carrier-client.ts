// Shipping's HTTP client for the carrier: books a parcel under an idempotency key and asks how it is doing; says which answers are worth a retry.
import { z } from 'zod';
import { serviceAuthorization } from '../../platform/http/service-auth.js';
import { tracedFetch } from '../../platform/http/tracing.js';
import type { ShippingAddress } from './store.js';

/** A booking that takes longer than this counts as the carrier being unavailable; the claim's lease must outlast it. */
export const CARRIER_CALL_TIMEOUT_MS = 10_000;

const shipmentSchema = z.object({
  id: z.string().min(1),
  carrier: z.string().min(1),
  trackingNumber: z.string().min(1),
  trackingUrl: z.url(),
  status: z.enum(['IN_TRANSIT', 'DELIVERED']),
  deliveredAt: z.string().nullable(),
});
export type CarrierShipment = z.infer<typeof shipmentSchema>;

const errorSchema = z.object({ error: z.object({ code: z.string(), message: z.string(), details: z.object({ carrier: z.string().min(1) }).partial().optional() }) });

/** booked: the carrier has the parcel; refused: it never will (an operator's case); unavailable: try again later. */
export type BookingResult = { kind: 'booked'; shipment: CarrierShipment } | { kind: 'refused'; message: string; carrier: string } | { kind: 'unavailable'; reason: string };

export interface CarrierClient {
  book(request: { orderId: string; address: ShippingAddress; lines: { sku: string; quantity: number }[] }, idempotencyKey: string): Promise<BookingResult>;
  /** The shipment as the carrier sees it now; throws when the carrier cannot say. */
  shipment(id: string): Promise<CarrierShipment>;
}

export function createCarrierClient(options: { baseUrl: string; serviceToken: string }): CarrierClient {
  const base = options.baseUrl.replace(/\/$/, '');
  const headers = serviceAuthorization(options.serviceToken);
  return {
    async book(request, idempotencyKey) {
      let response: Response;
      try {
        response = await tracedFetch('shipping', 'POST /shipments', `${base}/shipments`, {
          method: 'POST',
          headers: { ...headers, 'content-type': 'application/json', 'idempotency-key': idempotencyKey },
          body: JSON.stringify(request),
          signal: AbortSignal.timeout(CARRIER_CALL_TIMEOUT_MS),
        });
      } catch (error) {
        return { kind: 'unavailable', reason: `carrier not reachable: ${error instanceof Error ? error.message : String(error)}` };
      }
      const body: unknown = await response.json().catch(() => undefined);
      if (response.status === 201 || response.status === 200) {
        const shipment = shipmentSchema.safeParse(body);
        if (shipment.success) return { kind: 'booked', shipment: shipment.data };
        return { kind: 'unavailable', reason: `carrier answered ${response.status} with an unexpected body` };
      }
      const error = errorSchema.safeParse(body);
      if (response.status === 422 && error.success && error.data.error.code === 'address_refused') {
        return { kind: 'refused', message: error.data.error.message, carrier: error.data.error.details?.carrier ?? 'carrier' };
      }
      // 5xx is the carrier failing for a while; any other 4xx is ours to fix, and retrying after the fix must still book once.
      return { kind: 'unavailable', reason: `carrier answered ${response.status}${error.success ? `: ${error.data.error.message}` : ''}` };
    },

    async shipment(id) {
      const response = await tracedFetch('shipping', 'GET /shipments/:id', `${base}/shipments/${encodeURIComponent(id)}`, {
        headers,
        signal: AbortSignal.timeout(CARRIER_CALL_TIMEOUT_MS),
      });
      if (!response.ok) throw new Error(`carrier answered ${response.status} about shipment ${id}`);
      return shipmentSchema.parse(await response.json());
    },
  };
}
