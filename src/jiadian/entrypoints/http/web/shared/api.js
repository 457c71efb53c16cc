/*
 * The one way to call the server, shared by the fronts: same-origin cookies,
 * the CSRF header on unsafe methods, JSON in and out, a time limit, and every
 * failure as an ApiError carrying the server's stable `code` and zh-CN `detail`.
 */

export class ApiError extends Error {
  constructor(status, code, detail, body = null) {
    super(detail);
    this.name = 'ApiError';
    this.status = status;
    this.code = code;
    this.detail = detail;
    this.body = body;
  }
}

const UNSAFE_METHODS = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

const FALLBACK_DETAIL = {
  400: '请求有误，请检查填写的内容',
  401: '请先登录',
  403: '没有权限执行此操作',
  404: '请求的内容不存在',
  409: '操作冲突，请刷新页面后重试',
  413: '上传的文件过大',
  422: '提交的数据有误，请检查填写的内容',
  429: '操作过于频繁，请稍后再试',
};

function fallbackDetail(status) {
  if (FALLBACK_DETAIL[status]) return FALLBACK_DETAIL[status];
  if (status >= 500) return `服务器繁忙，请稍后再试（${status}）`;
  return `请求失败（${status}）`;
}

function readCookie(name) {
  const prefix = `${name}=`;
  const found = document.cookie.split(';').map((c) => c.trim()).find((c) => c.startsWith(prefix));
  return found ? found.slice(prefix.length) : '';
}

/** The CSRF token cookie; any GET of the API makes the server set it. */
export async function csrfToken(signal) {
  let token = readCookie('csrftoken');
  if (!token) {
    try { await fetch('/api/catalog/categories', { credentials: 'same-origin', signal }); } catch { /* reported by the real request */ }
    token = readCookie('csrftoken');
  }
  return token;
}

async function readBody(response) {
  if (response.status === 204) return null;
  const text = await response.text();
  if (!text) return null;
  const type = response.headers.get('content-type') || '';
  if (type.includes('json')) {
    try { return JSON.parse(text); } catch { return null; }
  }
  return text;
}

/** How long a request may take before the shopper is told and offered a retry. */
export const TIMEOUT_MS = 10_000;

/** A failure worth trying again as it is: no answer, a timeout, the server busy or down. */
export const isTransient = (err) => err instanceof ApiError && (err.status === 0 || err.status === 429 || err.status >= 500);

/**
 * The one way to call the server: same-origin cookies, the CSRF header on
 * unsafe methods, JSON in and out, a time limit. A non-2xx answer becomes an
 * ApiError carrying the server's `code` and zh-CN `detail`; no answer within
 * `timeout` ms becomes ApiError(0, 'timeout'), no connection ApiError(0, 'network_error').
 */
export async function api(path, { method = 'GET', body, headers = {}, timeout = TIMEOUT_MS } = {}) {
  const verb = method.toUpperCase();
  const init = { method: verb, credentials: 'same-origin', headers: { Accept: 'application/json', ...headers } };
  if (body instanceof FormData) {
    init.body = body;
  } else if (body !== undefined) {
    init.body = JSON.stringify(body);
    init.headers['Content-Type'] = 'application/json';
  }
  const abort = new AbortController();
  const timer = setTimeout(() => abort.abort(), timeout);
  init.signal = abort.signal;
  try {
    if (UNSAFE_METHODS.has(verb)) init.headers['x-csrftoken'] = await csrfToken(abort.signal);
    let response;
    try {
      response = await fetch(path, init);
    } catch {
      throw abort.signal.aborted
        ? new ApiError(0, 'timeout', '服务器没有及时响应，请稍后重试')
        : new ApiError(0, 'network_error', '网络连接失败，请检查网络后重试');
    }
    let data;
    try {
      data = await readBody(response);
    } catch {
      throw new ApiError(0, 'timeout', '服务器没有及时响应，请稍后重试');
    }
    if (!response.ok) {
      const payload = data && typeof data === 'object' ? data : {};
      const code = typeof payload.code === 'string' ? payload.code : `http_${response.status}`;
      const detail = typeof payload.detail === 'string' && payload.detail ? payload.detail : fallbackDetail(response.status);
      throw new ApiError(response.status, code, detail, data);
    }
    return data;
  } finally {
    clearTimeout(timer);
  }
}

export const post = (path, body, headers) => api(path, { method: 'POST', body, headers });
export const put = (path, body) => api(path, { method: 'PUT', body });
export const patch = (path, body) => api(path, { method: 'PATCH', body });
export const del = (path) => api(path, { method: 'DELETE' });
