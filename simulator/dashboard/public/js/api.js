// The dashboard server's JSON API. Errors are {status, errorCode?, message}: an Error carrying them.

/** Calls the API; resolves with the JSON answer, rejects with an Error whose message is the server's. */
export async function api(method, path, body) {
  const init = { method, headers: {} };
  if (body !== undefined) {
    init.headers['content-type'] = 'application/json';
    init.body = typeof body === 'string' ? body : JSON.stringify(body);
  }
  const res = await fetch(path, init);
  const data = await res.json().catch(() => null);
  if (!res.ok) {
    const error = new Error((data && data.message) || `HTTP ${res.status}`);
    error.status = res.status;
    error.errorCode = data && data.errorCode;
    throw error;
  }
  return data;
}

/** /api/devices/{id}{suffix} */
export function devicePath(id, suffix) {
  return `/api/devices/${encodeURIComponent(id)}${suffix}`;
}
