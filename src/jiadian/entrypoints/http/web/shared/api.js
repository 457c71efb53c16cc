/*
 * The one way to call the server, shared by the fronts: same-origin cookies,
 * the CSRF header on unsafe methods, JSON in and out, and every failure as an
 * ApiError carrying the server's stable `code` and zh-CN `detail`.
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

/** The CSRF token cookie; any GET makes the server set it. */
export async function csrfToken() {
  let token = readCookie('csrftoken');
  if (!token) {
    try { await fetch('/api/catalog/categories', { credentials: 'same-origin' }); } catch { /* reported by the real request */ }
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

/**
 * The one way to call the server: same-origin cookies, the CSRF header on
 * unsafe methods, JSON in and out. A non-2xx answer becomes an ApiError
 * carrying the server's `code` and zh-CN `detail`.
 */
export async function api(path, { method = 'GET', body, headers = {} } = {}) {
  const verb = method.toUpperCase();
  const init = { method: verb, credentials: 'same-origin', headers: { Accept: 'application/json', ...headers } };
  if (body instanceof FormData) {
    init.body = body;
  } else if (body !== undefined) {
    init.body = JSON.stringify(body);
    init.headers['Content-Type'] = 'application/json';
  }
  if (UNSAFE_METHODS.has(verb)) init.headers['x-csrftoken'] = await csrfToken();

  let response;
  try {
    response = await fetch(path, init);
  } catch {
    throw new ApiError(0, 'network_error', '网络连接失败，请检查网络后重试');
  }
  const data = await readBody(response);
  if (!response.ok) {
    const payload = data && typeof data === 'object' ? data : {};
    const code = typeof payload.code === 'string' ? payload.code : `http_${response.status}`;
    const detail = typeof payload.detail === 'string' && payload.detail ? payload.detail : fallbackDetail(response.status);
    throw new ApiError(response.status, code, detail, data);
  }
  return data;
}

export const post = (path, body, headers) => api(path, { method: 'POST', body, headers });
export const put = (path, body) => api(path, { method: 'PUT', body });
export const patch = (path, body) => api(path, { method: 'PATCH', body });
export const del = (path) => api(path, { method: 'DELETE' });
