// Field builders shared by the API's zod schemas, so every field's messages name the field the same way.
import { z } from 'zod';

/** "x is required" when missing, "x must be a <kind>" when of the wrong type: the message names the field either way. */
export const typeError = (field: string, kind: string) => (issue: { input?: unknown }) =>
  issue.input === undefined ? `${field} is required` : `${field} must be ${kind}`;
export const minorUnits = (field: string) =>
  z
    .number({ error: typeError(field, 'a number') })
    .int(`${field} must be an integer (minor units)`)
    .min(0, `${field} must not be negative`);
export const text = (field: string, max: number) =>
  z
    .string({ error: typeError(field, 'a string') })
    .trim()
    .min(1, `${field} must not be empty`)
    .max(max, `${field} must be at most ${max} characters`);
