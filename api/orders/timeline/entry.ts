// One line of an order's timeline, whichever participant it comes from.
import type { JournalEntry } from '../../../platform/observability/journal.js';

/** The same shape the components' journals answer with: `at`, `source`, `kind`, `name`, and what else is known. */
export type TimelineEntry = JournalEntry;
