/*
 * The hash router of a front (one per document). Routes are [pattern, page]
 * pairs: a RegExp over the hash's path, and a page module whose
 * `render(ctx)` draws the page — or a function answering one, e.g.
 * `() => import('./pages/cart.js')`, so a page's code loads when first shown.
 * ctx = { params, query, view, alive, render(content), onLeave(fn), focus(el) }:
 * `render` returns false once the visitor has already left for another page,
 * so a late answer never draws over it.
 *
 *   startRouter({ routes, view, title, onRoute, notFound, failed }); route()
 *   go('#/cart', { notice: '…' })     navigate, with a message to show on arrival
 *   withQuery({ page: 2 })            the current hash with query parameters replaced
 *   replaceQuery({ sku: 5 })          change the current URL's query without a new page
 *
 * After a page is drawn, focus moves to its <h1> (so a screen reader reads the
 * new page's name), unless the page put it somewhere itself with ctx.focus(). Each history
 * entry keeps its scroll position: Back and Forward return to it, a new page
 * starts at the top.
 */

import { html } from './html.js';
import { $, on } from './dom.js';
import { isTransient } from './api.js';
import { clearMessages, errorText, handleError, showError, showNotice } from './messages.js';
import { problemState } from './components.js';

const config = {
  routes: [],
  view: null,
  title: document.title,
  onRoute: () => {},
  notFound: (ctx) => ctx.render(problemState({
    title: '页面不存在',
    text: '这个地址没有对应的页面，可能是链接有误。',
    actions: [{ href: '#/', label: '返回首页' }],
  })),
  failed: renderPageError,
};

let routeSeq = 0;
let leaveHandlers = [];
let pendingFlash = null;
let drawn = false; // the first page of a visit keeps the focus where the browser put it

function safeDecode(part) {
  try { return decodeURIComponent(part); } catch { return part; }
}

export function currentRoute() {
  const hash = location.hash.replace(/^#/, '') || '/';
  const [path, search = ''] = hash.split('?');
  return { path: path || '/', query: new URLSearchParams(search) };
}

/**
 * Navigate to a hash; flash = {error} or {notice} to show on arrival. replace:
 * the new page takes the current one's place in the history, so Back skips a
 * page that has done its work (a checkout, once its order is placed).
 */
export function go(hash, flash = null, { replace = false } = {}) {
  pendingFlash = flash;
  if (location.hash === hash) route();
  else if (replace) location.replace(hash);
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

/** Put choices into the URL (Back, reload and shared links keep them) without drawing the page again. */
export function replaceQuery(changes) {
  const hash = withQuery(changes);
  if (hash !== location.hash) history.replaceState(history.state, '', hash);
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
    /** Put the focus somewhere on purpose (a form's first field): the router then leaves it there. */
    focus(el) {
      if (seq !== routeSeq || !el) return;
      el.focus();
      this.focused = true;
    },
    focused: false,
  };
}

// --- scroll positions, one per history entry -----------------------------------------------
// Each entry gets an id in history.state once; scrolling records the position under it (no history
// writes while scrolling), and the positions survive a reload in sessionStorage.

const SCROLL_KEY = 'jiadian.scroll';
const positions = new Map(readPositions());

function readPositions() {
  try { return JSON.parse(sessionStorage.getItem(SCROLL_KEY) || '[]'); } catch { return []; }
}

function keepPositions() {
  try { sessionStorage.setItem(SCROLL_KEY, JSON.stringify([...positions].slice(-50))); } catch { /* private mode */ }
}

const entryId = () => (history.state && history.state.entry) || null;

function markEntry() {
  if (!entryId()) history.replaceState({ ...(history.state || {}), entry: `${Date.now()}.${Math.random()}` }, '');
}

function recordScroll() {
  const id = entryId();
  if (id) positions.set(id, window.scrollY);
}

function restoreScroll(ctx, saved) {
  if (!saved) return;
  // Images below may still be loading: keep at it for a few frames, until the page is tall enough.
  let tries = 0;
  const attempt = () => {
    if (!ctx.alive) return;
    window.scrollTo(0, saved);
    if (Math.abs(window.scrollY - saved) > 1 && tries++ < 30) requestAnimationFrame(attempt);
  };
  attempt();
}

// --- focus ---------------------------------------------------------------------------------

function focusHeading(ctx) {
  const { view } = ctx;
  if (ctx.focused || (view.contains(document.activeElement) && document.activeElement !== view)) return;
  const heading = $('h1', view);
  const target = heading || view;
  if (heading && !heading.hasAttribute('tabindex')) heading.setAttribute('tabindex', '-1');
  target.focus({ preventScroll: true });
}

/** Draw the page of the current hash. */
export async function route() {
  const saved = positions.get(entryId()) || 0; // a page seen before (Back, Forward, reload) returns there
  markEntry();
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
  ctx.render(html`<p class="loading" role="status">加载中…</p>`);
  window.scrollTo(0, 0);
  try {
    if (!match) {
      config.notFound(ctx);
    } else {
      const page = typeof match[1] === 'function' ? await match[1]() : match[1];
      if (!ctx.alive) return;
      await page.render(ctx);
    }
  } catch (err) {
    if (!ctx.alive) return;
    if ($('.loading', ctx.view)) config.failed(ctx, err);
    else handleError(err);
  }
  if (!ctx.alive) return;
  restoreScroll(ctx, saved);
  if (drawn) focusHeading(ctx);
  drawn = true;
}

/**
 * A page that could not be drawn: a timeout, no connection or a busy server can be tried again; a
 * refusal (4xx) cannot, and says what went wrong with a way on. Pages show the failures a shopper can
 * cause where they happen; this is for the rest.
 */
export function renderPageError(ctx, err) {
  if (err && err.status === 401) {
    handleError(err); // the front's sign-in hook
    return;
  }
  const retry = !err || !err.status || isTransient(err);
  ctx.render(problemState({
    title: retry ? '页面加载失败' : '无法打开这个页面',
    text: err && err.detail ? errorText(err) : '出现了意外的错误。',
    testid: 'page-error',
    actions: [
      ...(retry ? [{ label: '重新加载', testid: 'retry-button', primary: true }] : []),
      { href: '#/', label: '返回首页' },
    ],
  }));
  // A page's code that failed to load stays failed in this document: a retry then loads the page anew.
  const unexpected = !(err && err.status !== undefined);
  on(ctx.view, '[data-testid="retry-button"]', 'click', () => (unexpected ? location.reload() : route()));
  if (unexpected) console.error(err);
}

/** Configure the front's router and follow hash changes; `route()` draws the first page. */
export function startRouter(options) {
  Object.assign(config, options);
  if ('scrollRestoration' in history) history.scrollRestoration = 'manual';
  window.addEventListener('hashchange', () => route());
  window.addEventListener('scroll', recordScroll, { passive: true });
  window.addEventListener('pagehide', keepPositions);
}
