// Request parsing for every HTTP server: a zod schema in, the parsed value or a 400 VALIDATION_FAILED naming each field out.
import type { z } from 'zod';
import { ValidationFailedError, type FieldProblem } from './errors.js';

/** Where in the request a value came from; it names the problem when the value itself (not a field of it) is wrong. */
export type RequestLocation = 'body' | 'query' | 'header' | 'path';

/** zod issues as the contract's details: one entry per field, an unknown field named by its own path. */
export function validationFailed(error: z.ZodError, location: RequestLocation): ValidationFailedError {
  const problems: FieldProblem[] = [];
  for (const issue of error.issues) {
    const path = issue.path.map(String);
    if (issue.code === 'unrecognized_keys') {
      for (const key of issue.keys) problems.push({ path: [...path, key].join('.'), message: `unknown field "${key}"` });
    } else {
      problems.push({ path: path.length > 0 ? path.join('.') : location, message: issue.message });
    }
  }
  return new ValidationFailedError(problems, `request ${location}`);
}

/** Parses a request part or throws the 400 that names each bad field. */
export function parseRequest<S extends z.ZodType>(schema: S, value: unknown, location: RequestLocation): z.output<S> {
  const result = schema.safeParse(value);
  if (!result.success) throw validationFailed(result.error, location);
  return result.data;
}
