// Calls to the API with the signed-in token; errors arrive in the documented shape and are thrown as ApiError.
export class ApiError extends Error {
  constructor(status, code, message, details) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
    this.code = code;
    this.details = details;
  }
}

/** Set by app.js: a 401 means the token is no longer good, so the console signs out rather than showing errors everywhere. */
let onUnauthenticated = () => {};
export const whenUnauthenticated = (handler) => {
  onUnauthenticated = handler;
};

export async function apiCall(session, path, { method = 'GET', body, headers = {} } = {}) {
  const response = await fetch(path, {
    method,
    headers: {
      accept: 'application/json',
      ...(session ? { authorization: `Bearer ${session.token}` } : {}),
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      ...headers,
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  const answer = text ? JSON.parse(text) : undefined;
  if (!response.ok) {
    if (response.status === 401) onUnauthenticated();
    const error = answer?.error ?? {};
    throw new ApiError(response.status, error.code ?? 'HTTP_ERROR', error.message ?? `HTTP ${response.status}`, error.details);
  }
  return answer;
}

export const query = (parameters) => {
  const search = new URLSearchParams(Object.entries(parameters).filter(([, value]) => value !== undefined && value !== ''));
  const text = search.toString();
  return text ? `?${text}` : '';
};
