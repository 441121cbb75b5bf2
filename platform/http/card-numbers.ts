// Raw payment card numbers (PANs) in client text: found so a request carrying one is refused, masked so no log line keeps one.
/**
 * Runs of digits with single spaces or dashes between groups ("4111 1111-1111 1111"), standing on their own: a card number
 * is written apart from the letters and digits around it, while the digits inside a word or an id ("a91234-5678-…" in a
 * UUID, a timestamp in "cust-1732262400000x") are not one. UUIDs are matched first and skipped whole: order ids and
 * idempotency keys are UUIDs, and their dash-separated hex groups are sometimes all digits. Separators are required
 * between groups, so the pattern cannot backtrack badly on long input.
 */
const uuid = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/i;
const digitRun = new RegExp(`${uuid.source}|(?<![\\p{L}\\p{N}])\\d+(?:[ -]\\d+)*(?![\\p{L}\\p{N}])`, 'giu');

const MIN_PAN_DIGITS = 13;
const MAX_PAN_DIGITS = 19;

/** The Luhn checksum every card number satisfies (and about one random digit string in ten). */
function passesLuhn(digits: string): boolean {
  let sum = 0;
  for (let i = 0; i < digits.length; i++) {
    let digit = digits.charCodeAt(digits.length - 1 - i) - 48;
    if (i % 2 === 1) {
      digit *= 2;
      if (digit > 9) digit -= 9;
    }
    sum += digit;
  }
  return sum % 10 === 0;
}

/**
 * Whether consecutive groups of a run make 13–19 digits passing Luhn: a card written with separators is found even
 * with other numbers around it ("4111 1111 1111 1111 2030"). A bare run longer than 19 digits is some other number.
 */
function runHoldsCardNumber(run: string): boolean {
  const groups = run.split(/[ -]/);
  for (let start = 0; start < groups.length; start++) {
    let digits = '';
    for (let end = start; end < groups.length; end++) {
      digits += groups[end];
      if (digits.length > MAX_PAN_DIGITS) break;
      if (digits.length >= MIN_PAN_DIGITS && passesLuhn(digits)) return true;
    }
  }
  return false;
}

const isCardNumber = (run: string) => !uuid.test(run) && runHoldsCardNumber(run);

export function containsCardNumber(text: string): boolean {
  for (const [run] of text.matchAll(digitRun)) if (isCardNumber(run)) return true;
  return false;
}

export const CARD_NUMBER_MASK = '[card number]';

export function maskCardNumbers(text: string): string {
  const masked = text.replace(digitRun, (run) => (isCardNumber(run) ? CARD_NUMBER_MASK : run));
  if (masked !== text || !text.includes('%')) return masked;
  // A URL may carry the digits percent-encoded (%34%31…): look at it decoded too, and log the decoded form only if masked.
  let decoded: string;
  try {
    decoded = decodeURIComponent(text.replace(/\+/g, ' '));
  } catch {
    return text;
  }
  const maskedDecoded = decoded.replace(digitRun, (run) => (isCardNumber(run) ? CARD_NUMBER_MASK : run));
  return maskedDecoded === decoded ? text : maskedDecoded;
}
