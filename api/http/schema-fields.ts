// Field builders shared by the API's zod schemas: every field's messages name the field the same way, and every string is refused when no store or reader could keep it safely.
import { z } from 'zod';

/** "x is required" when missing, "x must be a <kind>" when of the wrong type: the message names the field either way. */
export const typeError = (field: string, kind: string) => (issue: { input?: unknown }) =>
  issue.input === undefined ? `${field} is required` : `${field} must be ${kind}`;

/** The stores' integer column (PostgreSQL `integer`): a larger amount or count would be refused there, after the fact. */
export const MAX_STORABLE_INTEGER = 2_147_483_647;

export const minorUnits = (field: string) =>
  z
    .number({ error: typeError(field, 'a number') })
    .int(`${field} must be an integer (minor units)`)
    .min(0, `${field} must not be negative`)
    .max(MAX_STORABLE_INTEGER, `${field} must be at most ${MAX_STORABLE_INTEGER}`);

/**
 * Free text (names, addresses) refuses three things:
 * - C0 and C1 control characters (NUL, line breaks, escape…): no field here spans lines, PostgreSQL cannot store NUL
 *   (the order would be accepted and its notifications dead-lettered), and they forge lines in logs and e-mails;
 * - explicit bidirectional embeddings, overrides and isolates (U+202A–U+202E, U+2066–U+2069): they reorder the text
 *   around them wherever it is shown ("Trojan Source"); right-to-left text needs none of them, and the implicit marks
 *   (U+200E, U+200F, U+061C) stay allowed;
 * - unpaired UTF-16 surrogates: they cannot be encoded as UTF-8, so a store would silently keep U+FFFD instead.
 * Written without Unicode property escapes so that it means the same with or without the `u` flag, in any client.
 */
// eslint-disable-next-line no-control-regex -- naming control characters is the point: they are what it refuses.
export const SAFE_TEXT_PATTERN = /^(?:[^\u0000-\u001F\u007F-\u009F\u202A-\u202E\u2066-\u2069\uD800-\uDFFF]|[\uD800-\uDBFF][\uDC00-\uDFFF])*$/;

export const text = (field: string, max: number) =>
  z
    .string({ error: typeError(field, 'a string') })
    .trim()
    .min(1, `${field} must not be empty`)
    .max(max, `${field} must be at most ${max} characters`)
    .regex(SAFE_TEXT_PATTERN, `${field} must not contain control characters, bidirectional overrides or unpaired surrogates`)
    // JSON Schema cannot say "trimmed first"; the description does, so a generated client knows blank text is refused.
    .meta({ description: 'Surrounding whitespace is trimmed; blank text is refused' });

/**
 * Identifiers (customer ids, order ids, queue names, message ids) are compared character for character and shown to
 * operators: printable ASCII without spaces, so no invisible, look-alike or reordering character can make two ids
 * that read the same, and every store, log and URL keeps them as sent.
 */
export const IDENTIFIER_PATTERN = /^[\x21-\x7E]+$/;

export const identifier = (field: string, max: number) =>
  z
    .string({ error: typeError(field, 'a string') })
    .min(1, `${field} must not be empty`)
    .max(max, `${field} must be at most ${max} characters`)
    .regex(IDENTIFIER_PATTERN, `${field} may contain only printable ASCII characters, without spaces`);
