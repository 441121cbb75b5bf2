// How money, ages and statuses are shown, in one place.
export const terminalStatuses = ['CONFIRMED', 'REJECTED', 'PAYMENT_DECLINED', 'CANCELLED'];
export const orderStatuses = ['RECEIVED', 'CART_VERIFIED', 'PAYMENT_AUTHORIZED', ...terminalStatuses];
export const isTerminal = (status) => terminalStatuses.includes(status);

export function money(minorUnits, currency = 'EUR') {
  try {
    return new Intl.NumberFormat(undefined, { style: 'currency', currency }).format(minorUnits / 100);
  } catch {
    return `${(minorUnits / 100).toFixed(2)} ${currency}`;
  }
}

export function age(iso, now = Date.now()) {
  const seconds = Math.max(0, Math.round((now - Date.parse(iso)) / 1000));
  if (seconds < 60) return `${seconds}s`;
  if (seconds < 3600) return `${Math.floor(seconds / 60)}m ${seconds % 60}s`;
  if (seconds < 86_400) return `${Math.floor(seconds / 3600)}h ${Math.floor((seconds % 3600) / 60)}m`;
  return `${Math.floor(seconds / 86_400)}d`;
}

/** The status badge's class: the colour says where an order is, the text says it too (colour is never the only cue). */
export const statusClass = (status) => `status status-${status.toLowerCase().replace(/_/g, '-')}`;
