/*
 * The hash router of a front (one per document). Routes are [pattern, page]
 * pairs: a RegExp over the hash's path, and a page module whose
 * `render(ctx)` draws the page. ctx = { params, query, view, alive,
 * render(content), onLeave(fn) }: `render` returns false once the visitor has
 * already left for another page, so a late answer never draws over it.
 *
 *   startRouter({ routes, view, title, onRoute, notFound, failed }); route()
 *   go('#/cart', { notice: '…' })     navigate, with a message to show on arrival
 *   withQuery({ page: 2 })            the current hash with query parameters replaced
 */

import { html } from './html.js';
import { $, on } from './dom.js';
import { clearMessages, handleError, showError, showNotice } from './messages.js';
import { emptyState } from './components.js';

const config = {
  routes: [],
  view: null,
  title: document.title,
  onRoute: () => {},
  notFound: (ctx) => ctx.render(emptyState('页面不存在', html`<a class="button" href="#/">返回首页</a>`)),
  failed: renderPageError,
};

let routeSeq = 0;
let leaveHandlers = [];
let pendingFlash = null;

function safeDecode(part) {
  try { return decodeURIComponent(part); } catch { return part; }
}

export function currentRoute() {
  const hash = location.hash.replace(/^#/, '') || '/';
  const [path, search = ''] = hash.split('?');
  return { path: path || '/', query: new URLSearchParams(search) };
}

/** Navigate to a hash; flash = {error} or {notice} to show on arrival. */
export function go(hash, flash = null) {
  pendingFlash = flash;
  if (location.hash === hash) route();
  else location.hash = hash;
}

/** The current hash with some query parameters replaced (null removes one). */
export function withQuery(changes) {
  const { path, query } = currentRoute();
  for (const [key, value] of Object.entries(changes)) {
    if (value === null || value === undefined || value === '') query.delete(key);
    else query.set(key, value);
  }
  const search = query.toString();
  return `#${path}${search ? `?${search}` : ''}`;
}

function makeContext(params, query) {
  const seq = ++routeSeq;
  const { view } = config;
  return {
    params,
    query,
    view,
    get alive() { return seq === routeSeq; },
    /** Replace the page content; false when the visitor already left. */
    render(content) {
      if (seq !== routeSeq) return false;
      view.innerHTML = String(content);
      return true;
    },
    onLeave(fn) { leaveHandlers.push(fn); },
  };
}

/** Draw the page of the current hash. */
export async function route() {
  leaveHandlers.forEach((fn) => fn());
  leaveHandlers = [];
  clearMessages();
  if (pendingFlash) {
    if (pendingFlash.error) showError(pendingFlash.error);
    if (pendingFlash.notice) showNotice(pendingFlash.notice);
    pendingFlash = null;
  }
  const { path, query } = currentRoute();
  const match = config.routes.map(([pattern, page]) => [pattern.exec(path), page]).find(([m]) => m);
  const ctx = makeContext(match ? match[0].slice(1).map(safeDecode) : [], query);
  document.title = config.title;
  config.onRoute(path, query);
  ctx.render(html`<p class="loading">加载中…</p>`);
  window.scrollTo(0, 0);
  if (!match) {
    config.notFound(ctx);
    return;
  }
  try {
    await match[1].render(ctx);
  } catch (err) {
    if (!ctx.alive) return;
    handleError(err);
    if ($('.loading', ctx.view)) config.failed(ctx, err);
  }
}

function renderPageError(ctx) {
  ctx.render(html`
    <div class="empty" data-testid="page-error">
      <p>页面加载失败</p>
      <button type="button" class="button" data-testid="retry-button">重新加载</button>
      <a class="button secondary" href="#/">返回首页</a>
    </div>`);
  on(ctx.view, '[data-testid="retry-button"]', 'click', () => route());
}

/** Configure the front's router and follow hash changes; `route()` draws the first page. */
export function startRouter(options) {
  Object.assign(config, options);
  window.addEventListener('hashchange', () => route());
}
