// The signed-in token, kept in sessionStorage (gone when the tab closes), and who it names as the API will see it.
const KEY = 'ensemble.token';

/** The token's claims, read without verifying: the API verifies every call; the console only needs to know what to show. */
export function claimsOf(token) {
  const payload = token.split('.')[1];
  if (!payload) throw new Error('This is not a JWT (three dot-separated parts)');
  const json = atob(payload.replace(/-/g, '+').replace(/_/g, '/'));
  const claims = JSON.parse(json);
  if (typeof claims.sub !== 'string' || !['customer', 'admin'].includes(claims.role)) throw new Error('The token names no sub and role');
  return { sub: claims.sub, role: claims.role, expiresAt: typeof claims.exp === 'number' ? new Date(claims.exp * 1000) : undefined };
}

export function loadSession() {
  const token = sessionStorage.getItem(KEY);
  if (!token) return undefined;
  try {
    return { token, ...claimsOf(token) };
  } catch {
    sessionStorage.removeItem(KEY);
    return undefined;
  }
}

export function saveSession(token) {
  const session = { token, ...claimsOf(token) };
  sessionStorage.setItem(KEY, token);
  return session;
}

export function clearSession() {
  sessionStorage.removeItem(KEY);
}
