/*
 * 家电之选 (jiadian) — shopper-facing storefront.
 *
 * A single-page app in plain ES modules: no framework, no build step, no
 * external resources. It talks only to the JSON API of shared/API.md and keeps
 * no business logic: prices, totals, stock checks and order statuses all come
 * from the server; this file only displays them and sends what the shopper
 * chose. Served at `/` (index.html, /app.js, /style.css); pages are hash routes.
 *
 * Routes
 *   #/                         home: banners carousel, categories with nav line and 4 products
 *   #/category/{slug|all}?sort=&page=   product list (sort: price -price sales -sales date -date)
 *   #/search?q=&page=          search results
 *   #/product/{id}             product detail
 *   #/register  #/login?next=  #/logout
 *   #/user                     user center: profile, avatar, browsing history
 *   #/user/balance             wallet
 *   #/user/addresses?next=     addresses (next: hash to return to after saving, e.g. checkout)
 *   #/user/orders?status=&page=   order history (status: 1..5 | cancelled); #/orders is an alias
 *   #/order/{order_id}         order detail (pay, cancel, confirm receipt)
 *   #/order/{order_id}/review  review the lines of a received order
 *   #/cart                     cart
 *   #/checkout?skus=1,2        checkout of chosen cart lines
 *   #/checkout?sku=5&count=2   checkout of a "buy now"
 *   #/pay/{order_id}           payment page (wallet or Alipay)
 *   #/pay/{order_id}/success   payment success
 *
 * data-testid values (for end-to-end tests)
 *   layout:   site-logo, search-form, search-input, search-button, user-nav, category-nav,
 *             category-link (data-slug; "all" for 全部商品), cart-link, cart-count,
 *             login-link, register-link, user-link, orders-link, logout-button, view,
 *             error-message (role=alert, class=error), error-close, notice-message (role=status),
 *             page-error (a page that could not load), retry-button
 *   lists:    product-card (data-product-id), product-grid, pagination, page-prev, page-next,
 *             page-{n}, page-info, empty-state
 *   home:     banner-carousel, banner-slide, banner-prev, banner-next, banner-dot,
 *             home-category (data-slug), category-nav-line, category-more
 *   category: category-title, sort-bar, sort-default, sort-price-asc, sort-price-desc,
 *             sort-sales-asc, sort-sales-desc, sort-date-asc, sort-date-desc
 *             (each sort button also has data-sort with the API key)
 *   search:   search-summary
 *   product:  product-name, product-gallery, product-main-image, product-thumb,
 *             variant-size, variant-color (data-value; aria-pressed=true when chosen),
 *             sku-price, sku-stock, count-input, count-dec, count-inc, add-to-cart-button,
 *             buy-now-button, product-detail, review-summary, review-list, review-item,
 *             reviews-pagination, hot-products
 *   register: register-form, register-username, register-email, register-password,
 *             register-password2, register-code, register-send-code, register-submit
 *   login:    login-form, login-username, login-password, login-submit
 *   user:     user-menu, profile-form, profile-username, profile-email, profile-phone,
 *             profile-introduce, profile-save, avatar-image, avatar-input, avatar-upload,
 *             history-list
 *   wallet:   wallet-balance, wallet-total-recharged, wallet-total-consumed
 *   address:  address-list, address-item (data-address-id), address-default-badge,
 *             address-edit, address-delete, address-set-default, address-add, address-form,
 *             address-recipient, address-phone, address-province, address-city, address-county,
 *             address-detail, address-is-default, address-save, address-cancel
 *   cart:     cart-line (data-sku-id; class "unavailable" when it cannot be bought as it stands),
 *             cart-line-problem (why), cart-line-select, cart-line-count, cart-line-dec,
 *             cart-line-inc, cart-line-remove, cart-line-price, cart-line-total,
 *             cart-select-all, cart-selected-count, cart-total, checkout-button, cart-empty
 *   checkout: address-picker, address-option (radio, value = address id), add-address-link, no-address,
 *             checkout-line, checkout-count, checkout-amount, checkout-freight, checkout-total,
 *             order-mark, place-order-button
 *   pay:      pay-order-no, pay-total, wallet-balance, pay-wallet-button, pay-alipay-button,
 *             payment-success, payment-pending, order-link
 *   orders:   order-status-tabs, order-tab-all, order-tab-1 … order-tab-5, order-tab-cancelled,
 *             order-card (data-order-id), order-status, order-line (data-line-id),
 *             order-detail-link, order-pay-button, review-link
 *   order:    order-detail, order-status, order-no, order-address, order-amount, order-freight,
 *             order-total, order-pay-button, cancel-order-button, confirm-receipt-button, review-link
 *   review:   review-form (data-line-id), review-score (radios, value 1|3|5), review-content,
 *             review-submit, review-done
 */

// ------------------------------------------------------------------ html escaping

class SafeHtml {
  constructor(text) { this.text = text; }
  toString() { return this.text; }
}

const ESCAPES = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };
const escapeHtml = (value) => String(value).replace(/[&<>"']/g, (c) => ESCAPES[c]);
const raw = (text) => new SafeHtml(text);

function fragment(value) {
  if (value === null || value === undefined || value === false) return '';
  if (value instanceof SafeHtml) return value.text;
  if (Array.isArray(value)) return value.map(fragment).join('');
  return escapeHtml(value);
}

/** Tagged template: every interpolated value is escaped unless it is SafeHtml. */
function html(strings, ...values) {
  let out = strings[0];
  values.forEach((value, i) => { out += fragment(value) + strings[i + 1]; });
  return new SafeHtml(out);
}

/** A boolean attribute, present when cond is truthy. */
const attrIf = (cond, name) => (cond ? raw(` ${name}`) : '');

/** Only http(s) and relative URLs may reach src/href. */
function safeUrl(url) {
  if (typeof url !== 'string' || !url.trim()) return null;
  const value = url.trim();
  const scheme = /^([a-z][a-z0-9+.-]*):/i.exec(value);
  if (scheme && !/^https?$/i.test(scheme[1])) return null;
  return value;
}

const enc = encodeURIComponent;
const $ = (selector, root = document) => root.querySelector(selector);
const $$ = (selector, root = document) => Array.from(root.querySelectorAll(selector));

/** Attach a listener to every element matching selector under root. */
function on(root, selector, type, handler) {
  $$(selector, root).forEach((el) => el.addEventListener(type, (event) => handler(event, el)));
}

// ------------------------------------------------------------------ api

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
async function csrfToken() {
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

const post = (path, body, headers) => api(path, { method: 'POST', body, headers });
const put = (path, body) => api(path, { method: 'PUT', body });
const patch = (path, body) => api(path, { method: 'PATCH', body });
const del = (path) => api(path, { method: 'DELETE' });

// ------------------------------------------------------------------ state and messages

const state = {
  user: null,          // {id, username, ...} from /api/me, or null when anonymous
  categories: [],      // [{id, name, slug, image_url}]
  cartLines: null,     // number of distinct cart lines, for the header badge
};

function showMessage(kind, text) {
  $(`#${kind}-text`).textContent = text;
  $(`#${kind}-box`).hidden = false;
}

const showError = (text) => showMessage('error', text);
const showNotice = (text) => showMessage('notice', text);

function clearMessages() {
  for (const kind of ['error', 'notice']) {
    $(`#${kind}-box`).hidden = true;
    $(`#${kind}-text`).textContent = '';
  }
}

/** Show any error to the shopper; a 401 sends to the login page. */
function handleError(err) {
  if (!(err instanceof ApiError)) {
    console.error(err);
    showError(`页面出现错误：${err && err.message ? err.message : err}`);
    return;
  }
  if (err.status === 401 && currentRoute().path !== '/login') {
    state.user = null;
    state.cartLines = null;
    renderUserNav();
    go(`#/login?next=${enc(location.hash || '#/')}`, { error: err.detail || '请先登录' });
    return;
  }
  showError(errorText(err));
}

/** The server's message, with the facts it sent that help the shopper (how many are left). */
function errorText(err) {
  const body = err.body && typeof err.body === 'object' ? err.body : {};
  const available = body.available === null || body.available === undefined ? NaN : Number(body.available);
  if (err.code === 'insufficient_stock' && Number.isInteger(available) && available >= 0) {
    return available > 0 ? `${err.detail}（仅剩 ${available} 件）` : `${err.detail}（已售罄）`;
  }
  return err.detail;
}

/** Run an action for a button or form: disable it meanwhile, report errors. */
async function withBusy(el, action) {
  clearMessages();
  if (el) el.disabled = true;
  try {
    return await action();
  } catch (err) {
    handleError(err);
    return undefined;
  } finally {
    if (el) el.disabled = false;
  }
}

// ------------------------------------------------------------------ formatting

const money = (amount) => (amount === null || amount === undefined || amount === '' ? '—' : `¥${amount}`);
const specs = (item) => [item.size, item.color].filter(Boolean).join(' / ');
const PAY_METHODS = { wallet: '钱包余额', alipay: '支付宝' };
const SCORE_LABELS = { 1: '差评', 3: '中评', 5: '好评' };

function formatTime(value) {
  if (!value) return '—';
  const date = new Date(value);
  return Number.isNaN(date.getTime()) ? String(value) : date.toLocaleString('zh-CN', { hour12: false });
}

function newIdempotencyKey() {
  const bytes = new Uint8Array(16);
  crypto.getRandomValues(bytes);
  bytes[6] = (bytes[6] & 0x0f) | 0x40;
  bytes[8] = (bytes[8] & 0x3f) | 0x80;
  const hex = Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/** A numeric id stays a number in JSON bodies; anything else stays a string. */
const toId = (value) => (/^\d+$/.test(String(value)) ? Number(value) : value);

/** Accept only in-app hash targets for "next" redirects. */
const safeNext = (next) => (typeof next === 'string' && next.startsWith('#/') && !next.startsWith('#/login') ? next : null);

// ------------------------------------------------------------------ shared components

function image(url, alt, className, testid = '') {
  const src = safeUrl(url);
  const tid = testid ? raw(` data-testid="${escapeHtml(testid)}"`) : '';
  if (!src) return html`<div class="${className} img-placeholder" role="img" aria-label="${alt}"${tid}>暂无图片</div>`;
  return html`<img class="${className}" src="${src}" alt="${alt}" loading="lazy"${tid}>`;
}

function productCard(product) {
  return html`
    <article class="card product-card" data-testid="product-card" data-product-id="${product.id}">
      <a class="card-link" href="#/product/${enc(product.id)}">
        ${image(product.image_url, product.name, 'card-img')}
        <h3 class="card-title">${product.name}</h3>
      </a>
      <div class="card-meta">
        <span class="price">${money(product.price)}</span>
        <span class="muted">销量 ${product.sales ?? 0}</span>
      </div>
    </article>`;
}

function productGrid(products, testid = 'product-grid') {
  if (!products || !products.length) return emptyState('暂无商品');
  return html`<div class="grid" data-testid="${testid}">${products.map(productCard)}</div>`;
}

function emptyState(text, extra = '') {
  return html`<div class="empty" data-testid="empty-state"><p>${text}</p>${extra}</div>`;
}

/** Page numbers around the current page, with gaps. */
function pageWindow(current, last) {
  const pages = new Set([1, last, current - 1, current, current + 1]);
  const sorted = [...pages].filter((n) => n >= 1 && n <= last).sort((a, b) => a - b);
  const out = [];
  sorted.forEach((n, i) => {
    if (i > 0 && n - sorted[i - 1] > 1) out.push(null);
    out.push(n);
  });
  return out;
}

function pagination(page, testid = 'pagination') {
  if (!page || !page.pages || page.pages <= 1) return '';
  const current = Number(page.page) || 1;
  const last = Number(page.pages);
  return html`
    <nav class="pagination" data-testid="${testid}" aria-label="分页">
      <button type="button" data-page="${current - 1}" data-testid="page-prev"${attrIf(current <= 1, 'disabled')}>上一页</button>
      ${pageWindow(current, last).map((n) => (n === null
        ? html`<span class="gap">…</span>`
        : html`<button type="button" data-page="${n}" data-testid="page-${n}" class="${n === current ? 'current' : ''}"${attrIf(n === current, 'aria-current="page"')}>${n}</button>`))}
      <button type="button" data-page="${current + 1}" data-testid="page-next"${attrIf(current >= last, 'disabled')}>下一页</button>
      <span class="page-info muted" data-testid="page-info">第 ${current} / ${last} 页，共 ${page.total} 条</span>
    </nav>`;
}

function bindPagination(root, onPage) {
  on(root, '.pagination button[data-page]', 'click', (event, button) => onPage(Number(button.dataset.page)));
}

function orderLine(line) {
  return html`
    <div class="line" data-testid="order-line" data-line-id="${line.line_id}">
      <a href="#/product/${enc(line.product_id)}">${image(line.image_url, line.name, 'line-img')}</a>
      <div class="line-info">
        <a href="#/product/${enc(line.product_id)}">${line.name}</a>
        <span class="muted">${specs(line)}</span>
      </div>
      <div class="line-price">${money(line.unit_price ?? line.price)} × ${line.count}</div>
      <div class="line-total price">${money(line.line_total)}</div>
    </div>`;
}

function addressText(address) {
  if (!address) return '—';
  return `${address.recipient} ${address.phone} ${address.province}${address.city}${address.county}${address.detail}`;
}

// ------------------------------------------------------------------ router

const routes = [
  [/^\/$/, pageHome],
  [/^\/category\/([^/]+)$/, pageCategory],
  [/^\/search$/, pageSearch],
  [/^\/product\/([^/]+)$/, pageProduct],
  [/^\/register$/, pageRegister],
  [/^\/login$/, pageLogin],
  [/^\/logout$/, pageLogout],
  [/^\/user$/, pageUser],
  [/^\/user\/balance$/, pageBalance],
  [/^\/user\/addresses$/, pageAddresses],
  [/^\/user\/orders$/, pageOrders],
  [/^\/orders$/, pageOrders], // an alias: server pages (the payment simulator's) link here
  [/^\/order\/([^/]+)$/, pageOrder],
  [/^\/order\/([^/]+)\/review$/, pageReview],
  [/^\/cart$/, pageCart],
  [/^\/checkout$/, pageCheckout],
  [/^\/pay\/([^/]+)$/, pagePay],
  [/^\/pay\/([^/]+)\/success$/, pagePaySuccess],
];

let routeSeq = 0;
let leaveHandlers = [];
let pendingFlash = null;

function safeDecode(part) {
  try { return decodeURIComponent(part); } catch { return part; }
}

function currentRoute() {
  const hash = location.hash.replace(/^#/, '') || '/';
  const [path, search = ''] = hash.split('?');
  return { path: path || '/', query: new URLSearchParams(search) };
}

/** Navigate to a hash; flash = {error} or {notice} to show on arrival. */
function go(hash, flash = null) {
  pendingFlash = flash;
  if (location.hash === hash) route();
  else location.hash = hash;
}

/** The current hash with some query parameters replaced (null removes one). */
function withQuery(changes) {
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
  const view = $('#view');
  return {
    params,
    query,
    view,
    get alive() { return seq === routeSeq; },
    /** Replace the page content; false when the shopper already left. */
    render(content) {
      if (seq !== routeSeq) return false;
      view.innerHTML = String(content);
      return true;
    },
    onLeave(fn) { leaveHandlers.push(fn); },
  };
}

async function route() {
  leaveHandlers.forEach((fn) => fn());
  leaveHandlers = [];
  clearMessages();
  if (pendingFlash) {
    if (pendingFlash.error) showError(pendingFlash.error);
    if (pendingFlash.notice) showNotice(pendingFlash.notice);
    pendingFlash = null;
  }
  const { path, query } = currentRoute();
  const match = routes.map(([pattern, page]) => [pattern.exec(path), page]).find(([m]) => m);
  const ctx = makeContext(match ? match[0].slice(1).map(safeDecode) : [], query);
  document.title = '家电之选';
  markActiveCategory(path);
  syncSearchBox(path, query);
  ctx.render(html`<p class="loading">加载中…</p>`);
  window.scrollTo(0, 0);
  if (!match) {
    ctx.render(emptyState('页面不存在', html`<a class="button" href="#/">返回首页</a>`));
    return;
  }
  try {
    await match[1](ctx);
  } catch (err) {
    if (!ctx.alive) return;
    handleError(err);
    if ($('.loading', ctx.view)) renderPageError(ctx);
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

// ------------------------------------------------------------------ header

function renderUserNav() {
  const user = state.user;
  const count = state.cartLines;
  $('#user-nav').innerHTML = String(html`
    <a class="cart-link" href="#/cart" data-testid="cart-link">购物车<span class="badge" data-testid="cart-count"${attrIf(!count, 'hidden')}>${count || ''}</span></a>
    ${user
      ? html`<a href="#/user" data-testid="user-link" class="user-link">${user.username}</a>
             <a href="#/user/orders" data-testid="orders-link">我的订单</a>
             <button type="button" class="link-button" data-testid="logout-button">退出</button>`
      : html`<a href="#/login" data-testid="login-link">登录</a>
             <a href="#/register" data-testid="register-link">注册</a>`}`);
  on($('#user-nav'), '[data-testid="logout-button"]', 'click', (event, button) => withBusy(button, logout));
}

function setCartLines(count) {
  state.cartLines = Number.isFinite(Number(count)) ? Number(count) : null;
  renderUserNav();
}

async function refreshCartBadge() {
  if (!state.user) return;
  try {
    const cart = await api('/api/cart');
    setCartLines(cart.lines.length);
  } catch (err) {
    if (err.status !== 401) handleError(err);
  }
}

function renderCategoryLinks() {
  const links = [{ slug: 'all', name: '全部商品' }, ...state.categories];
  $('#category-links').innerHTML = String(html`${links.map((c) => html`
    <a href="#/category/${enc(c.slug)}" data-testid="category-link" data-slug="${c.slug}">${c.name}</a>`)}`);
  markActiveCategory(currentRoute().path);
}

function markActiveCategory(path) {
  $$('#category-links a').forEach((a) => {
    a.classList.toggle('active', path === `/category/${a.dataset.slug}`);
  });
}

function syncSearchBox(path, query) {
  $('#search-input').value = path === '/search' ? query.get('q') || '' : '';
}

async function loadSession() {
  try {
    state.user = await api('/api/me');
  } catch (err) {
    state.user = null;
    if (err.status !== 401) handleError(err);
  }
  renderUserNav();
  await refreshCartBadge();
}

async function loadCategories() {
  try {
    state.categories = await api('/api/catalog/categories');
  } catch (err) {
    handleError(err);
  }
  renderCategoryLinks();
}

async function logout() {
  await post('/api/auth/logout');
  state.user = null;
  state.cartLines = null;
  renderUserNav();
  go('#/', { notice: '您已退出登录' });
}

// ------------------------------------------------------------------ home

async function pageHome(ctx) {
  const home = await api('/api/catalog/home');
  if (!ctx.render(html`
    ${bannerCarousel(home.banners || [])}
    ${(home.categories || []).map(homeCategory)}
    ${home.categories && home.categories.length ? '' : emptyState('暂无商品')}`)) return;
  startCarousel(ctx);
}

function bannerCarousel(banners) {
  if (!banners.length) return '';
  return html`
    <section class="carousel" data-testid="banner-carousel" aria-roledescription="carousel" aria-label="活动推荐">
      ${banners.map((b, i) => html`
        <figure class="slide${i === 0 ? ' active' : ''}" data-testid="banner-slide"${attrIf(i !== 0, 'aria-hidden="true"')}>
          ${image(b.image_url, b.name, 'slide-img')}
          <figcaption>${b.name}</figcaption>
        </figure>`)}
      ${banners.length > 1 ? html`
        <button type="button" class="carousel-prev" data-testid="banner-prev" aria-label="上一张">‹</button>
        <button type="button" class="carousel-next" data-testid="banner-next" aria-label="下一张">›</button>
        <div class="dots">${banners.map((b, i) => html`
          <button type="button" class="dot${i === 0 ? ' active' : ''}" data-index="${i}" data-testid="banner-dot" aria-label="第 ${i + 1} 张"></button>`)}</div>` : ''}
    </section>`;
}

function startCarousel(ctx) {
  const root = $('.carousel', ctx.view);
  if (!root) return;
  const slides = $$('.slide', root);
  const dots = $$('.dot', root);
  if (slides.length < 2) return;
  let index = 0;
  const show = (next) => {
    index = (next + slides.length) % slides.length;
    slides.forEach((s, i) => {
      s.classList.toggle('active', i === index);
      if (i === index) s.removeAttribute('aria-hidden'); else s.setAttribute('aria-hidden', 'true');
    });
    dots.forEach((d, i) => d.classList.toggle('active', i === index));
  };
  let timer = setInterval(() => show(index + 1), 5000);
  const restart = () => { clearInterval(timer); timer = setInterval(() => show(index + 1), 5000); };
  on(root, '.carousel-prev', 'click', () => { show(index - 1); restart(); });
  on(root, '.carousel-next', 'click', () => { show(index + 1); restart(); });
  on(root, '.dot', 'click', (event, dot) => { show(Number(dot.dataset.index)); restart(); });
  ctx.onLeave(() => clearInterval(timer));
}

function homeCategory(category) {
  return html`
    <section class="home-category" data-testid="home-category" data-slug="${category.slug}">
      <header class="section-head">
        ${safeUrl(category.image_url) ? image(category.image_url, category.name, 'category-icon') : ''}
        <h2><a href="#/category/${enc(category.slug)}">${category.name}</a></h2>
        <nav class="nav-line" data-testid="category-nav-line" aria-label="${category.name}">
          ${(category.nav || []).map((name) => html`<a href="#/search?q=${enc(name)}">${name}</a>`)}
        </nav>
        <a class="more" href="#/category/${enc(category.slug)}" data-testid="category-more">查看更多 ›</a>
      </header>
      ${productGrid(category.products)}
    </section>`;
}

// ------------------------------------------------------------------ product list and search

const SORTS = [
  ['', '默认', 'sort-default'],
  ['price', '价格从低到高', 'sort-price-asc'],
  ['-price', '价格从高到低', 'sort-price-desc'],
  ['sales', '销量从低到高', 'sort-sales-asc'],
  ['-sales', '销量从高到低', 'sort-sales-desc'],
  ['date', '最早上架', 'sort-date-asc'],
  ['-date', '最新上架', 'sort-date-desc'],
];

async function pageCategory(ctx) {
  const slug = ctx.params[0];
  const sort = ctx.query.get('sort') || '';
  const page = ctx.query.get('page') || '1';
  const params = new URLSearchParams({ category: slug, page });
  if (sort) params.set('sort', sort);
  const result = await api(`/api/catalog/products?${params}`);
  const category = state.categories.find((c) => c.slug === slug);
  const title = slug === 'all' ? '全部商品' : (category ? category.name : slug);
  document.title = `${title} - 家电之选`;
  if (!ctx.render(html`
    <nav class="breadcrumb"><a href="#/">首页</a> › <span>${title}</span></nav>
    <h1 data-testid="category-title">${title}</h1>
    <div class="sort-bar" data-testid="sort-bar" role="group" aria-label="排序">
      ${SORTS.map(([key, label, testid]) => html`
        <button type="button" data-sort="${key}" data-testid="${testid}" class="${key === sort ? 'active' : ''}"
                aria-pressed="${key === sort ? 'true' : 'false'}">${label}</button>`)}
    </div>
    ${productGrid(result.items)}
    ${pagination(result)}`)) return;
  on(ctx.view, '.sort-bar button', 'click', (event, button) => go(withQuery({ sort: button.dataset.sort, page: null })));
  bindPagination(ctx.view, (n) => go(withQuery({ page: n })));
}

async function pageSearch(ctx) {
  const q = ctx.query.get('q') || '';
  const page = ctx.query.get('page') || '1';
  document.title = `搜索 ${q} - 家电之选`;
  const result = await api(`/api/catalog/search?${new URLSearchParams({ q, page })}`);
  if (!ctx.render(html`
    <nav class="breadcrumb"><a href="#/">首页</a> › <span>搜索</span></nav>
    <h1>搜索结果</h1>
    <p class="muted" data-testid="search-summary">“${q}”共找到 ${result.total} 件商品</p>
    ${result.items.length ? productGrid(result.items) : emptyState(`没有找到与“${q}”相关的商品`)}
    ${pagination(result)}`)) return;
  bindPagination(ctx.view, (n) => go(withQuery({ page: n })));
}

function bindSearchForm() {
  $('#search-form').addEventListener('submit', (event) => {
    event.preventDefault();
    const q = $('#search-input').value.trim();
    go(`#/search?${new URLSearchParams({ q })}`);
  });
}

// ------------------------------------------------------------------ product detail

async function pageProduct(ctx) {
  const productId = ctx.params[0];
  const product = await api(`/api/catalog/products/${enc(productId)}`);
  document.title = `${product.name} - 家电之选`;
  const sizes = (product.specs && product.specs.sizes) || [];
  const colors = (product.specs && product.specs.colors) || [];
  const skus = product.skus || [];
  const category = findCategory(product.category);
  const reviews = product.reviews || {};

  if (!ctx.render(html`
    <nav class="breadcrumb"><a href="#/">首页</a> ›
      ${category ? html`<a href="#/category/${enc(category.slug)}">${category.name}</a> ›` : ''}
      <span>${product.name}</span></nav>
    <section class="product-top">
      <div class="gallery" id="gallery" data-testid="product-gallery"></div>
      <div class="buy-box">
        <h1 data-testid="product-name">${product.name}</h1>
        ${product.spu && product.spu.name ? html`<p class="muted">${product.spu.name}</p>` : ''}
        <div class="price-row"><span class="label">价格</span><span class="price big" data-testid="sku-price">—</span></div>
        ${variantRow('规格', 'size', sizes)}
        ${variantRow('颜色', 'color', colors)}
        <div class="row"><span class="label">库存</span><span data-testid="sku-stock">—</span></div>
        <div class="row"><span class="label">数量</span>
          <div class="stepper">
            <button type="button" data-testid="count-dec" aria-label="减少数量">−</button>
            <input type="number" id="buy-count" value="1" min="1" step="1" inputmode="numeric" aria-label="购买数量" data-testid="count-input">
            <button type="button" data-testid="count-inc" aria-label="增加数量">+</button>
          </div>
        </div>
        <div class="actions">
          <button type="button" class="button" data-testid="add-to-cart-button">加入购物车</button>
          <button type="button" class="button secondary" data-testid="buy-now-button">立即购买</button>
        </div>
      </div>
    </section>
    <div class="product-columns">
      <div class="product-main">
        <section class="panel">
          <h2>商品详情</h2>
          <p class="pre" data-testid="product-detail">${(product.spu && product.spu.detail) || '暂无详情'}</p>
        </section>
        <section class="panel" id="reviews">
          <h2>商品评价</h2>
          <p class="review-summary" data-testid="review-summary">
            共 <strong>${reviews.count ?? 0}</strong> 条评价 · 平均评分 <strong>${reviews.average_score ?? '—'}</strong>
            · 满意度 <strong>${reviews.satisfaction ?? '—'}%</strong></p>
          <div id="review-list" data-testid="review-list"></div>
        </section>
      </div>
      <aside class="panel hot">
        <h2>热销推荐</h2>
        <div class="grid grid-narrow" data-testid="hot-products">${(product.hot || []).map(productCard)}</div>
      </aside>
    </div>`)) return;

  const chosen = {
    size: sizes.length && skus[0] ? skus[0].size : null,
    color: colors.length && skus[0] ? skus[0].color : null,
  };
  const matches = (sku, want) => (want.size === null || sku.size === want.size) && (want.color === null || sku.color === want.color);
  const currentSku = () => skus.find((sku) => matches(sku, chosen)) || null;

  const update = () => {
    const sku = currentSku();
    $$('[data-variant]', ctx.view).forEach((button) => {
      const kind = button.dataset.variant;
      const selected = chosen[kind] === button.dataset.value;
      button.classList.toggle('selected', selected);
      button.setAttribute('aria-pressed', selected ? 'true' : 'false');
      button.classList.toggle('unavailable', !skus.some((s) => matches(s, { ...chosen, [kind]: button.dataset.value })));
    });
    $('[data-testid="sku-price"]', ctx.view).textContent = sku ? money(sku.price) : '—';
    const soldOut = !sku || Number(sku.stock) <= 0;
    $('[data-testid="sku-stock"]', ctx.view).textContent = !sku ? '该规格暂无' : (soldOut ? '暂时缺货' : `${sku.stock} 件`);
    $('#buy-count', ctx.view).max = sku ? String(sku.stock) : '';
    $('[data-testid="add-to-cart-button"]', ctx.view).disabled = soldOut;
    $('[data-testid="buy-now-button"]', ctx.view).disabled = soldOut;
    renderGallery(ctx, sku && sku.images && sku.images.length ? sku.images : (product.images || []), product.name);
  };

  on(ctx.view, '[data-variant]', 'click', (event, button) => {
    const kind = button.dataset.variant;
    chosen[kind] = button.dataset.value;
    if (!currentSku()) {
      const sku = skus.find((s) => s[kind] === button.dataset.value);
      if (sku) {
        chosen.size = sizes.length ? sku.size : null;
        chosen.color = colors.length ? sku.color : null;
      }
    }
    update();
  });
  bindCountStepper(ctx.view);
  on(ctx.view, '[data-testid="add-to-cart-button"]', 'click', (event, button) => withBusy(button, async () => {
    const sku = currentSku();
    const result = await post('/api/cart/items', { sku_id: sku.id, count: readCount(ctx.view) });
    setCartLines(result && result.lines);
    showNotice(`已加入购物车（购物车共 ${result ? result.lines : '?'} 种商品）`);
  }));
  on(ctx.view, '[data-testid="buy-now-button"]', 'click', () => {
    const sku = currentSku();
    if (sku) go(`#/checkout?${new URLSearchParams({ sku: sku.id, count: readCount(ctx.view) })}`);
  });
  update();
  loadReviews(ctx, productId, 1);
}

/** The category of a product, whether the API gives a slug, a name, an id or an object. */
function findCategory(value) {
  if (value && typeof value === 'object') {
    return value.slug ? value : state.categories.find((c) => c.id === value.id) || null;
  }
  return state.categories.find((c) => c.slug === value || c.name === value || String(c.id) === String(value)) || null;
}

function variantRow(label, kind, values) {
  if (!values.length) return '';
  return html`
    <div class="row variants"><span class="label">${label}</span>
      <div class="variant-options" role="group" aria-label="${label}">
        ${values.map((value) => html`
          <button type="button" class="variant" data-variant="${kind}" data-value="${value}"
                  data-testid="variant-${kind}" aria-pressed="false">${value}</button>`)}
      </div>
    </div>`;
}

function renderGallery(ctx, images, name) {
  const gallery = $('#gallery', ctx.view);
  if (!gallery) return;
  gallery.innerHTML = String(html`
    ${image(images[0], name, 'main-img', 'product-main-image')}
    ${images.length > 1 ? html`<div class="thumbs">${images.map((url, i) => html`
      <button type="button" class="thumb${i === 0 ? ' active' : ''}" data-index="${i}" data-testid="product-thumb" aria-label="图片 ${i + 1}">
        ${image(url, `${name} 图片 ${i + 1}`, 'thumb-img')}</button>`)}</div>` : ''}`);
  on(gallery, '.thumb', 'click', (event, thumb) => {
    const main = $('[data-testid="product-main-image"]', gallery);
    const url = safeUrl(images[Number(thumb.dataset.index)]);
    if (main && main.tagName === 'IMG' && url) main.src = url;
    $$('.thumb', gallery).forEach((t) => t.classList.toggle('active', t === thumb));
  });
}

function readCount(root) {
  const value = parseInt($('#buy-count', root).value, 10);
  return Number.isFinite(value) && value >= 1 ? value : 1;
}

function bindCountStepper(root) {
  const input = $('#buy-count', root);
  const step = (delta) => {
    const max = parseInt(input.max, 10);
    let next = readCount(root) + delta;
    if (Number.isFinite(max) && max >= 1 && next > max) next = max;
    input.value = String(Math.max(1, next));
  };
  on(root, '[data-testid="count-dec"]', 'click', () => step(-1));
  on(root, '[data-testid="count-inc"]', 'click', () => step(1));
}

async function loadReviews(ctx, productId, page) {
  try {
    const result = await api(`/api/catalog/products/${enc(productId)}/reviews?page=${enc(page)}`);
    const list = $('#review-list', ctx.view);
    if (!ctx.alive || !list) return;
    list.innerHTML = String(html`
      ${result.items.length ? result.items.map(reviewItem) : emptyState('暂无评价')}
      ${pagination(result, 'reviews-pagination')}`);
    bindPagination(list, (n) => loadReviews(ctx, productId, n));
  } catch (err) {
    if (ctx.alive) handleError(err);
  }
}

function reviewItem(review) {
  return html`
    <article class="review" data-testid="review-item">
      <header>
        <strong>${review.username}</strong>
        <span class="score score-${review.score}">${SCORE_LABELS[review.score] || ''} ${review.score} 分</span>
        <span class="muted">${review.sku ? specs(review.sku) : ''}</span>
        <time class="muted">${formatTime(review.created_at)}</time>
      </header>
      <p class="pre">${review.content}</p>
    </article>`;
}

// ------------------------------------------------------------------ register, login, logout

async function pageRegister(ctx) {
  document.title = '注册 - 家电之选';
  ctx.render(html`
    <section class="auth-box">
      <h1>注册家电之选账号</h1>
      <form class="form" data-testid="register-form" novalidate>
        <label>用户名<input name="username" autocomplete="username" required data-testid="register-username"></label>
        <label>邮箱<input name="email" type="email" autocomplete="email" required data-testid="register-email"></label>
        <label>密码<input name="password" type="password" autocomplete="new-password" required minlength="6" data-testid="register-password"></label>
        <label>确认密码<input name="password2" type="password" autocomplete="new-password" required data-testid="register-password2"></label>
        <label>邮箱验证码
          <span class="input-with-button">
            <input name="code" autocomplete="one-time-code" maxlength="6" required data-testid="register-code">
            <button type="button" class="button secondary" data-testid="register-send-code">获取验证码</button>
          </span>
        </label>
        <button type="submit" class="button" data-testid="register-submit">注册</button>
        <p class="muted">已有账号？<a href="#/login">立即登录</a></p>
      </form>
    </section>`);
  const form = $('form', ctx.view);
  const field = (name) => form.elements[name].value.trim();
  let countdown = null;
  ctx.onLeave(() => clearInterval(countdown));

  on(form, '[data-testid="register-send-code"]', 'click', async (event, button) => {
    const sent = await withBusy(button, async () => (
      (await post('/api/auth/verification-codes', { username: field('username'), email: field('email') })) || {}
    ));
    if (!sent) return;
    const seconds = (value, fallback) => (Number.isFinite(Number(value)) && Number(value) > 0 ? Number(value) : fallback);
    const minutes = Math.max(1, Math.round(seconds(sent.expires_in, 120) / 60));
    showNotice(`验证码已发送至 ${field('email')}，${minutes} 分钟内有效`);
    let left = seconds(sent.resend_after, 60);
    button.disabled = true;
    button.textContent = `${left} 秒后重发`;
    countdown = setInterval(() => {
      left -= 1;
      if (left > 0) { button.textContent = `${left} 秒后重发`; return; }
      clearInterval(countdown);
      button.disabled = false;
      button.textContent = '获取验证码';
    }, 1000);
  });

  form.addEventListener('submit', (event) => {
    event.preventDefault();
    const submit = $('[data-testid="register-submit"]', form);
    withBusy(submit, async () => {
      const password = form.elements.password.value;
      if (password !== form.elements.password2.value) {
        showError('两次输入的密码不一致');
        return;
      }
      const username = field('username');
      await post('/api/auth/register', { username, email: field('email'), password, code: field('code') });
      try {
        await post('/api/auth/login', { username, password });
      } catch {
        go('#/login', { notice: '注册成功，请登录' });
        return;
      }
      await loadSession();
      go('#/', { notice: `注册成功，欢迎您，${username}` });
    });
  });
}

async function pageLogin(ctx) {
  document.title = '登录 - 家电之选';
  const next = safeNext(ctx.query.get('next')) || '#/';
  ctx.render(html`
    <section class="auth-box">
      <h1>登录家电之选</h1>
      ${state.user ? html`<p class="muted">您已登录为 ${state.user.username}，可切换账号。</p>` : ''}
      <form class="form" data-testid="login-form" novalidate>
        <label>用户名<input name="username" autocomplete="username" required data-testid="login-username"></label>
        <label>密码<input name="password" type="password" autocomplete="current-password" required data-testid="login-password"></label>
        <button type="submit" class="button" data-testid="login-submit">登录</button>
        <p class="muted">还没有账号？<a href="#/register">免费注册</a></p>
      </form>
    </section>`);
  const form = $('form', ctx.view);
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    withBusy($('[data-testid="login-submit"]', form), async () => {
      await post('/api/auth/login', {
        username: form.elements.username.value.trim(),
        password: form.elements.password.value,
      });
      await loadSession();
      go(next, { notice: '登录成功' });
    });
  });
  form.elements.username.focus();
}

async function pageLogout(ctx) {
  ctx.render(html`<p class="loading">正在退出…</p>`);
  await logout();
}

// ------------------------------------------------------------------ user center

const USER_MENU = [
  ['/user', '个人信息'],
  ['/user/balance', '我的余额'],
  ['/user/addresses', '收货地址'],
  ['/user/orders', '我的订单'],
];

function userLayout(active, content) {
  return html`
    <div class="user-layout">
      <nav class="user-menu" data-testid="user-menu" aria-label="用户中心">
        ${USER_MENU.map(([path, label]) => html`
          <a href="#${path}" class="${path === active ? 'active' : ''}"${attrIf(path === active, 'aria-current="page"')}>${label}</a>`)}
      </nav>
      <div class="user-main">${content}</div>
    </div>`;
}

async function pageUser(ctx) {
  document.title = '个人中心 - 家电之选';
  const [me, history] = await Promise.all([api('/api/me'), api('/api/me/history')]);
  if (!ctx.render(userLayout('/user', html`
    <section class="panel">
      <h1>个人信息</h1>
      <div class="profile">
        <div class="avatar-box">
          ${image(me.avatar_url, `${me.username} 的头像`, 'avatar', 'avatar-image')}
          <form class="avatar-form" id="avatar-form">
            <label class="button secondary small file-pick">选择图片<input type="file" name="image" accept="image/*"
                   class="visually-hidden" data-testid="avatar-input"></label>
            <span class="muted small file-name" id="avatar-file-name" aria-live="polite">未选择图片</span>
            <button type="submit" class="button small" data-testid="avatar-upload">上传头像</button>
            <p class="muted small">支持 JPG、PNG 等图片，不超过 3 MiB</p>
          </form>
        </div>
        <form class="form profile-form" id="profile-form" data-testid="profile-form" novalidate>
          <label>用户名<input name="username" value="${me.username}" readonly data-testid="profile-username"></label>
          <label>邮箱<input name="email" type="email" value="${me.email ?? ''}" data-testid="profile-email"></label>
          <label>手机号<input name="phone" type="tel" inputmode="numeric" maxlength="11" value="${me.phone ?? ''}" data-testid="profile-phone"></label>
          <label>个人简介<textarea name="introduce" rows="3" data-testid="profile-introduce">${me.introduce ?? ''}</textarea></label>
          <button type="submit" class="button" data-testid="profile-save">保存修改</button>
        </form>
      </div>
    </section>
    <section class="panel">
      <h2>最近浏览</h2>
      <div data-testid="history-list">${history.length ? productGrid(history) : emptyState('暂无浏览记录')}</div>
    </section>`))) return;
  bindProfileForm(ctx, me);
  bindAvatarForm(ctx);
}

function bindProfileForm(ctx, me) {
  const form = $('#profile-form', ctx.view);
  const saved = { email: me.email ?? '', phone: me.phone ?? '', introduce: me.introduce ?? '' };
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    withBusy($('[data-testid="profile-save"]', form), async () => {
      const changes = {};
      for (const key of Object.keys(saved)) {
        const value = form.elements[key].value.trim();
        if (value !== saved[key]) changes[key] = value;
      }
      if (!Object.keys(changes).length) {
        showNotice('没有需要保存的修改');
        return;
      }
      const profile = await patch('/api/me', changes);
      for (const key of Object.keys(saved)) {
        saved[key] = profile && profile[key] !== undefined ? (profile[key] ?? '') : (changes[key] ?? saved[key]);
        form.elements[key].value = saved[key];
      }
      showNotice('个人信息已保存');
    });
  });
}

function bindAvatarForm(ctx) {
  const form = $('#avatar-form', ctx.view);
  const fileName = $('#avatar-file-name', form);
  const showFileName = () => {
    const file = form.elements.image.files[0];
    fileName.textContent = file ? file.name : '未选择图片';
  };
  form.elements.image.addEventListener('change', showFileName);
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    withBusy($('[data-testid="avatar-upload"]', form), async () => {
      const file = form.elements.image.files[0];
      if (!file) {
        showError('请先选择一张图片');
        return;
      }
      const body = new FormData();
      body.append('image', file);
      const result = await api('/api/me/avatar', { method: 'PUT', body });
      const box = $('.avatar-box', ctx.view);
      const old = $('[data-testid="avatar-image"]', box);
      const holder = document.createElement('div');
      holder.innerHTML = String(image(result && result.avatar_url, '我的头像', 'avatar', 'avatar-image'));
      old.replaceWith(holder.firstElementChild);
      form.reset();
      showFileName();
      showNotice('头像已更新');
    });
  });
}

async function pageBalance(ctx) {
  document.title = '我的余额 - 家电之选';
  const wallet = await api('/api/me/wallet');
  ctx.render(userLayout('/user/balance', html`
    <section class="panel">
      <h1>我的余额</h1>
      <div class="stats">
        <div class="stat"><span class="muted">账户余额</span><strong class="price big" data-testid="wallet-balance">${money(wallet.balance)}</strong></div>
        <div class="stat"><span class="muted">累计充值</span><strong data-testid="wallet-total-recharged">${money(wallet.total_recharged)}</strong></div>
        <div class="stat"><span class="muted">累计消费</span><strong data-testid="wallet-total-consumed">${money(wallet.total_consumed)}</strong></div>
      </div>
      <p class="muted">余额可在支付订单时使用；充值请联系商城管理员。</p>
    </section>`));
}

// ------------------------------------------------------------------ addresses

const ADDRESS_FIELDS = [
  ['recipient', '收货人', 12],
  ['phone', '手机号', 11],
  ['province', '省份', 15],
  ['city', '城市', 10],
  ['county', '区县', 10],
  ['detail', '详细地址', 40],
];

async function pageAddresses(ctx) {
  document.title = '收货地址 - 家电之选';
  const next = safeNext(ctx.query.get('next'));
  const addresses = await api('/api/me/addresses');
  if (!ctx.render(userLayout('/user/addresses', html`
    <section class="panel">
      <div class="section-head">
        <h1>收货地址</h1>
        <button type="button" class="button" data-testid="address-add">新增收货地址</button>
      </div>
      ${next ? html`<p><a href="${next}" class="button secondary">返回结算</a></p>` : ''}
      <form class="form address-form" id="address-form" data-testid="address-form" hidden novalidate></form>
      <ul class="address-list" data-testid="address-list">
        ${addresses.map(addressItem)}
      </ul>
      ${addresses.length ? '' : emptyState('还没有收货地址，请新增一个')}
    </section>`))) return;

  const form = $('#address-form', ctx.view);
  const byId = (id) => addresses.find((a) => String(a.id) === String(id));
  on(ctx.view, '[data-testid="address-add"]', 'click', () => openAddressForm(ctx, form, null, next));
  on(ctx.view, '[data-testid="address-edit"]', 'click', (event, button) => openAddressForm(ctx, form, byId(button.dataset.id), next));
  on(ctx.view, '[data-testid="address-delete"]', 'click', (event, button) => withBusy(button, async () => {
    await del(`/api/me/addresses/${enc(button.dataset.id)}`);
    go(withQuery({}), { notice: '地址已删除' });
  }));
  on(ctx.view, '[data-testid="address-set-default"]', 'click', (event, button) => withBusy(button, async () => {
    await put(`/api/me/addresses/${enc(button.dataset.id)}`, { ...addressBody(byId(button.dataset.id)), is_default: true });
    go(withQuery({}), { notice: '已设为默认地址' });
  }));
  if (!addresses.length) openAddressForm(ctx, form, null, next);
}

function addressItem(address) {
  return html`
    <li class="address-item${address.is_default ? ' default' : ''}" data-testid="address-item" data-address-id="${address.id}">
      <div>
        <strong>${address.recipient}</strong> <span>${address.phone}</span>
        ${address.is_default ? html`<span class="tag" data-testid="address-default-badge">默认</span>` : ''}
        <p>${address.province} ${address.city} ${address.county} ${address.detail}</p>
      </div>
      <div class="address-actions">
        ${address.is_default ? '' : html`<button type="button" class="link-button" data-id="${address.id}" data-testid="address-set-default">设为默认</button>`}
        <button type="button" class="link-button" data-id="${address.id}" data-testid="address-edit">编辑</button>
        <button type="button" class="link-button danger" data-id="${address.id}" data-testid="address-delete">删除</button>
      </div>
    </li>`;
}

function addressBody(address) {
  const body = {};
  for (const [key] of ADDRESS_FIELDS) body[key] = address[key];
  body.is_default = Boolean(address.is_default);
  return body;
}

function openAddressForm(ctx, form, address, next) {
  form.innerHTML = String(html`
    <h2>${address ? '编辑收货地址' : '新增收货地址'}</h2>
    <div class="form-grid">
      ${ADDRESS_FIELDS.map(([key, label, max]) => html`
        <label class="${key === 'detail' ? 'wide' : ''}">${label}
          <input name="${key}" maxlength="${max}" value="${address ? address[key] ?? '' : ''}" required
                 ${raw(key === 'phone' ? 'type="tel" inputmode="numeric"' : '')} data-testid="address-${key}">
        </label>`)}
    </div>
    <label class="checkbox"><input type="checkbox" name="is_default"${attrIf(address && address.is_default, 'checked')} data-testid="address-is-default"> 设为默认地址</label>
    <div class="actions">
      <button type="submit" class="button" data-testid="address-save">保存地址</button>
      <button type="button" class="button secondary" data-testid="address-cancel">取消</button>
    </div>`);
  form.hidden = false;
  form.elements.recipient.focus();
  on(form, '[data-testid="address-cancel"]', 'click', () => { form.hidden = true; form.innerHTML = ''; });
  form.onsubmit = (event) => {
    event.preventDefault();
    withBusy($('[data-testid="address-save"]', form), async () => {
      const body = {};
      for (const [key] of ADDRESS_FIELDS) body[key] = form.elements[key].value.trim();
      body.is_default = form.elements.is_default.checked;
      if (address) await put(`/api/me/addresses/${enc(address.id)}`, body);
      else await post('/api/me/addresses', body);
      if (next) go(next, { notice: '地址已保存' });
      else go(withQuery({}), { notice: '地址已保存' });
    });
  };
}

// ------------------------------------------------------------------ cart

/** Which cart lines the shopper ticked; new lines start ticked. Keys are String(sku_id). */
const cartSelection = { chosen: new Set(), seen: new Set() };

const CART_PROBLEMS = {
  deleted: '商品已删除',
  off_shelf: '商品已下架',
  out_of_stock: '暂时缺货',
  over_stock: '库存不足，请减少数量',
  over_amount_limit: '金额超出上限，请减少数量',
};

/** A line the server says can be bought as it stands (lines without the flag count as buyable). */
const buyable = (line) => line.available !== false;

function syncCartSelection(lines) {
  const present = new Set(lines.filter(buyable).map((l) => String(l.sku_id)));
  for (const key of present) {
    if (!cartSelection.seen.has(key)) cartSelection.chosen.add(key);
    cartSelection.seen.add(key);
  }
  for (const key of [...cartSelection.chosen]) if (!present.has(key)) cartSelection.chosen.delete(key);
}

async function pageCart(ctx) {
  document.title = '购物车 - 家电之选';
  const cart = await api('/api/cart');
  setCartLines(cart.lines.length);
  syncCartSelection(cart.lines);
  if (!cart.lines.length) {
    ctx.render(html`<h1>我的购物车</h1>
      <div class="empty" data-testid="cart-empty"><p>购物车是空的</p><a class="button" href="#/">去逛逛</a></div>`);
    return;
  }
  const allChosen = cart.lines.filter(buyable).every((l) => cartSelection.chosen.has(String(l.sku_id)));
  if (!ctx.render(html`
    <h1>我的购物车</h1>
    <div class="cart">
      <div class="cart-head">
        <label class="checkbox"><input type="checkbox" data-testid="cart-select-all"${attrIf(allChosen, 'checked')}> 全选</label>
        <span>商品</span><span>单价</span><span>数量</span><span>小计</span><span>操作</span>
      </div>
      ${cart.lines.map(cartLine)}
    </div>
    <div class="cart-summary panel">
      <span>已选 <strong data-testid="cart-selected-count">0</strong> 件商品</span>
      <span>合计（不含运费）：<strong class="price big" data-testid="cart-total">—</strong></span>
      <button type="button" class="button" data-testid="checkout-button">去结算</button>
    </div>`)) return;
  bindCart(ctx, cart);
  updateCartSummary(ctx, cart);
}

function cartLine(line) {
  const key = String(line.sku_id);
  const ok = buyable(line);
  const href = line.product_id === null || line.product_id === undefined ? null : `#/product/${enc(line.product_id)}`;
  const problem = ok ? '' : CART_PROBLEMS[line.problem] || '该商品暂不可购买';
  return html`
    <div class="cart-line${ok ? '' : ' unavailable'}" data-testid="cart-line" data-sku-id="${line.sku_id}">
      <label class="cart-select"><input type="checkbox" data-key="${key}" data-testid="cart-line-select"
             aria-label="选择 ${line.name}"${attrIf(ok && cartSelection.chosen.has(key), 'checked')}${attrIf(!ok, 'disabled')}></label>
      ${href ? html`<a class="cart-img" href="${href}">${image(line.image_url, line.name, 'line-img')}</a>`
    : html`<span class="cart-img">${image(line.image_url, line.name, 'line-img')}</span>`}
      <div class="cart-info">
        ${href ? html`<a href="${href}">${line.name}</a>` : html`<span>${line.name}</span>`}
        <span class="muted">${specs(line)}</span>
        <span class="muted small">库存 ${line.stock}</span>
        ${problem ? html`<span class="tag line-problem" data-testid="cart-line-problem">${problem}</span>` : ''}
      </div>
      <div class="cart-price" data-testid="cart-line-price">${money(line.price)}</div>
      <div class="cart-count stepper">
        <button type="button" data-key="${key}" data-testid="cart-line-dec" aria-label="减少"${attrIf(Number(line.count) <= 1, 'disabled')}>−</button>
        <input type="number" min="1" step="1" inputmode="numeric" value="${line.count}" data-key="${key}"
               data-testid="cart-line-count" aria-label="${line.name} 数量">
        <button type="button" data-key="${key}" data-testid="cart-line-inc" aria-label="增加">+</button>
      </div>
      <div class="cart-total price" data-testid="cart-line-total">${money(line.line_total)}</div>
      <div class="cart-remove"><button type="button" class="link-button danger" data-key="${key}" data-testid="cart-line-remove">删除</button></div>
    </div>`;
}

function bindCart(ctx, cart) {
  const lineOf = (key) => cart.lines.find((l) => String(l.sku_id) === key);
  const setCount = (el, key, count) => withBusy(el, async () => {
    try {
      await put(`/api/cart/items/${enc(lineOf(key).sku_id)}`, { count });
    } finally {
      await reloadCart(ctx);
    }
  });
  on(ctx.view, '[data-testid="cart-line-select"]', 'change', (event, box) => {
    if (box.checked) cartSelection.chosen.add(box.dataset.key); else cartSelection.chosen.delete(box.dataset.key);
    $('[data-testid="cart-select-all"]', ctx.view).checked = cart.lines.filter(buyable).every((l) => cartSelection.chosen.has(String(l.sku_id)));
    updateCartSummary(ctx, cart);
  });
  on(ctx.view, '[data-testid="cart-select-all"]', 'change', (event, box) => {
    cart.lines.filter(buyable).forEach((l) => (box.checked ? cartSelection.chosen.add(String(l.sku_id)) : cartSelection.chosen.delete(String(l.sku_id))));
    $$('[data-testid="cart-line-select"]:not(:disabled)', ctx.view).forEach((b) => { b.checked = box.checked; });
    updateCartSummary(ctx, cart);
  });
  on(ctx.view, '[data-testid="cart-line-dec"]', 'click', (event, button) => setCount(button, button.dataset.key, Number(lineOf(button.dataset.key).count) - 1));
  on(ctx.view, '[data-testid="cart-line-inc"]', 'click', (event, button) => setCount(button, button.dataset.key, Number(lineOf(button.dataset.key).count) + 1));
  on(ctx.view, '[data-testid="cart-line-count"]', 'change', (event, input) => {
    const count = parseInt(input.value, 10);
    setCount(input, input.dataset.key, Number.isFinite(count) ? count : input.value);
  });
  on(ctx.view, '[data-testid="cart-line-remove"]', 'click', (event, button) => withBusy(button, async () => {
    await del(`/api/cart/items/${enc(lineOf(button.dataset.key).sku_id)}`);
    cartSelection.chosen.delete(button.dataset.key);
    showNotice('已从购物车删除');
    await reloadCart(ctx);
  }));
  on(ctx.view, '[data-testid="checkout-button"]', 'click', () => {
    const chosen = cart.lines.filter((l) => buyable(l) && cartSelection.chosen.has(String(l.sku_id)));
    if (!chosen.length) {
      showError('请先选择要结算的商品');
      return;
    }
    go(`#/checkout?skus=${chosen.map((l) => enc(l.sku_id)).join(',')}`);
  });
}

/** Re-render the cart in place, keeping the messages on screen. */
async function reloadCart(ctx) {
  if (!ctx.alive) return;
  const error = $('#error-box').hidden ? null : $('#error-text').textContent;
  const notice = $('#notice-box').hidden ? null : $('#notice-text').textContent;
  const scroll = window.scrollY;
  try {
    await pageCart(ctx);
  } catch (err) {
    handleError(err);
    return;
  }
  if (error) showError(error);
  if (notice) showNotice(notice);
  window.scrollTo(0, scroll);
}

let cartSummarySeq = 0;

/** Show the server's total for the ticked lines (the cart amount, or a checkout preview). */
async function updateCartSummary(ctx, cart) {
  const seq = ++cartSummarySeq;
  const chosen = cart.lines.filter((l) => buyable(l) && cartSelection.chosen.has(String(l.sku_id)));
  const countEl = $('[data-testid="cart-selected-count"]', ctx.view);
  const totalEl = $('[data-testid="cart-total"]', ctx.view);
  $('[data-testid="checkout-button"]', ctx.view).disabled = !chosen.length;
  if (!chosen.length) {
    countEl.textContent = '0';
    totalEl.textContent = money('0.00');
    return;
  }
  if (chosen.length === cart.lines.filter(buyable).length) {
    // The cart's own totals cover exactly its buyable lines.
    countEl.textContent = String(cart.total_count);
    totalEl.textContent = money(cart.amount);
    return;
  }
  totalEl.textContent = '计算中…';
  try {
    const preview = await post('/api/checkout/preview', { sku_ids: chosen.map((l) => l.sku_id) });
    if (seq !== cartSummarySeq || !ctx.alive) return;
    countEl.textContent = String(preview.total_count);
    totalEl.textContent = money(preview.amount);
  } catch (err) {
    if (seq !== cartSummarySeq || !ctx.alive) return;
    totalEl.textContent = '—';
    handleError(err);
  }
}

// ------------------------------------------------------------------ checkout

/** The checkout request (sku_ids or buy_now) encoded in the hash query. */
function checkoutRequest(query) {
  if (query.get('sku')) {
    return { buy_now: { sku_id: toId(query.get('sku')), count: parseInt(query.get('count'), 10) || 1 } };
  }
  const skus = (query.get('skus') || '').split(',').filter(Boolean).map(toId);
  return skus.length ? { sku_ids: skus } : null;
}

async function pageCheckout(ctx) {
  document.title = '确认订单 - 家电之选';
  const request = checkoutRequest(ctx.query);
  if (!request) {
    ctx.render(emptyState('请先选择要结算的商品', html`<a class="button" href="#/cart">返回购物车</a>`));
    return;
  }
  const [preview, addresses] = await Promise.all([post('/api/checkout/preview', request), api('/api/me/addresses')]);
  const here = location.hash;
  const defaultAddress = addresses.find((a) => a.is_default) || addresses[0];
  if (!ctx.render(html`
    <h1>确认订单</h1>
    <section class="panel">
      <div class="section-head"><h2>收货地址</h2>
        <a href="#/user/addresses?next=${enc(here)}" data-testid="add-address-link">${addresses.length ? '管理收货地址' : '新增收货地址'}</a></div>
      ${addresses.length ? html`
        <div class="address-picker" role="radiogroup" aria-label="收货地址" data-testid="address-picker">
          ${addresses.map((a) => html`
            <label class="address-option">
              <input type="radio" name="address" value="${a.id}" data-testid="address-option"${attrIf(a === defaultAddress, 'checked')}>
              <span><strong>${a.recipient}</strong> ${a.phone} ${a.is_default ? html`<span class="tag">默认</span>` : ''}<br>
                ${a.province} ${a.city} ${a.county} ${a.detail}</span>
            </label>`)}
        </div>` : html`<p class="muted" data-testid="no-address">您还没有收货地址，请先新增一个。</p>`}
    </section>
    <section class="panel">
      <h2>商品清单</h2>
      ${(preview.lines || []).map((line) => html`<div data-testid="checkout-line">${orderLine(line)}</div>`)}
    </section>
    <section class="panel">
      <h2>订单备注</h2>
      <textarea class="mark" rows="2" maxlength="200" placeholder="选填：对本次购买的说明" data-testid="order-mark"></textarea>
    </section>
    <section class="panel checkout-summary">
      <p>共 <strong data-testid="checkout-count">${preview.total_count}</strong> 件商品</p>
      <p>商品金额：<span data-testid="checkout-amount">${money(preview.amount)}</span></p>
      <p>运费：<span data-testid="checkout-freight">${money(preview.freight)}</span></p>
      <p class="grand">应付总额：<strong class="price big" data-testid="checkout-total">${money(preview.total)}</strong></p>
      <button type="button" class="button big" data-testid="place-order-button">提交订单</button>
    </section>`)) return;

  // One key per checkout attempt: a retry after a lost answer reuses it, so the
  // server can recognise it and never creates a second order.
  let idempotencyKey = newIdempotencyKey();
  on(ctx.view, '[data-testid="place-order-button"]', 'click', (event, button) => withBusy(button, async () => {
    const picked = $('input[name="address"]:checked', ctx.view);
    if (!picked) {
      showError('请选择收货地址');
      return;
    }
    const mark = $('[data-testid="order-mark"]', ctx.view).value.trim();
    const body = { ...request, address_id: toId(picked.value) };
    if (mark) body.mark = mark;
    try {
      const order = await post('/api/orders', body, { 'Idempotency-Key': idempotencyKey });
      refreshCartBadge();
      go(`#/pay/${enc(order.order_id)}`, { notice: '订单已提交，请尽快支付' });
    } catch (err) {
      // A definite refusal ends this attempt; the shopper's next try is a new one.
      if ([400, 404, 422].includes(err.status) || err.code === 'insufficient_stock') idempotencyKey = newIdempotencyKey();
      throw err;
    }
  }));
}

// ------------------------------------------------------------------ payment

async function pagePay(ctx) {
  document.title = '支付订单 - 家电之选';
  const orderId = ctx.params[0];
  let walletError = null;
  const [order, wallet] = await Promise.all([
    api(`/api/orders/${enc(orderId)}`),
    api('/api/me/wallet').catch((err) => { walletError = err; return null; }),
  ]);
  if (String(order.status) !== '1') {
    ctx.render(html`
      <section class="panel pay">
        <h1>订单支付</h1>
        <p>该订单当前状态为 <strong data-testid="order-status">${order.status_label}</strong>，无需支付。</p>
        <a class="button" href="#/order/${enc(order.order_id)}" data-testid="order-link">查看订单</a>
      </section>`);
    return;
  }
  if (!ctx.render(html`
    <section class="panel pay">
      <h1>订单支付</h1>
      <p>订单号：<span data-testid="pay-order-no">${order.trade_no}</span></p>
      <p>应付金额：<strong class="price big" data-testid="pay-total">${money(order.total)}</strong></p>
      <div class="pay-methods">
        <div class="pay-method">
          <h2>钱包余额支付</h2>
          <p class="muted">可用余额：<span data-testid="wallet-balance">${wallet ? money(wallet.balance) : '—'}</span></p>
          <button type="button" class="button" data-testid="pay-wallet-button">使用余额支付</button>
        </div>
        <div class="pay-method">
          <h2>支付宝支付</h2>
          <p class="muted">将跳转到支付宝完成支付</p>
          <button type="button" class="button secondary" data-testid="pay-alipay-button">前往支付宝支付</button>
        </div>
      </div>
      <p><a href="#/order/${enc(order.order_id)}" data-testid="order-link">查看订单详情</a></p>
    </section>`)) return;

  on(ctx.view, '[data-testid="pay-wallet-button"]', 'click', (event, button) => withBusy(button, async () => {
    await post(`/api/orders/${enc(order.order_id)}/payments`, { method: 'wallet' });
    go(`#/pay/${enc(order.order_id)}/success`);
  }));
  on(ctx.view, '[data-testid="pay-alipay-button"]', 'click', (event, button) => payWithAlipay(order, button));
  if (walletError) handleError(walletError);
}

async function payWithAlipay(order, button) {
  clearMessages();
  button.disabled = true;
  try {
    const result = await post(`/api/orders/${enc(order.order_id)}/payments`, { method: 'alipay' });
    const url = safeUrl(result && result.payment_url);
    if (!url) throw new ApiError(0, 'payment_unavailable', '未能获取支付宝支付地址，请稍后再试');
    button.textContent = '正在跳转到支付宝…';
    location.href = url;
  } catch (err) {
    if (err.code === 'payment_unavailable') {
      button.textContent = '支付宝支付暂不可用';
    } else {
      button.disabled = false;
    }
    handleError(err);
  }
}

async function pagePaySuccess(ctx) {
  document.title = '支付成功 - 家电之选';
  const order = await api(`/api/orders/${enc(ctx.params[0])}`);
  const pending = String(order.status) === '1';
  if (!ctx.render(html`
    <section class="panel pay-result">
      ${pending ? html`
        <h1 data-testid="payment-pending">支付结果确认中</h1>
        <p>我们尚未收到支付结果，请稍后刷新查看。</p>
        <button type="button" class="button secondary" data-testid="retry-button">刷新</button>`
      : html`
        <h1 class="success" data-testid="payment-success">支付成功</h1>
        <p>订单状态：<strong data-testid="order-status">${order.status_label}</strong></p>`}
      <p>订单号：${order.trade_no}</p>
      <p>订单金额：<strong class="price">${money(order.total)}</strong></p>
      <p>支付方式：${PAY_METHODS[order.pay_method] || order.pay_method || '—'}</p>
      <div class="actions">
        <a class="button" href="#/order/${enc(order.order_id)}" data-testid="order-link">查看订单</a>
        <a class="button secondary" href="#/">继续购物</a>
      </div>
    </section>`)) return;
  on(ctx.view, '[data-testid="retry-button"]', 'click', () => route());
}

// ------------------------------------------------------------------ orders

const ORDER_TABS = [
  ['', '全部', 'all'],
  ['1', '待支付', '1'],
  ['2', '待发货', '2'],
  ['3', '待收货', '3'],
  ['4', '待评价', '4'],
  ['5', '已完成', '5'],
  ['cancelled', '已取消', 'cancelled'],
];

async function pageOrders(ctx) {
  document.title = '我的订单 - 家电之选';
  const status = ctx.query.get('status') || '';
  const params = new URLSearchParams({ page: ctx.query.get('page') || '1' });
  if (status) params.set('status', status);
  const result = await api(`/api/orders?${params}`);
  if (!ctx.render(userLayout('/user/orders', html`
    <section class="panel">
      <h1>我的订单</h1>
      <nav class="tabs" data-testid="order-status-tabs" aria-label="订单状态">
        ${ORDER_TABS.map(([value, label, id]) => html`
          <a href="#/user/orders${value ? `?status=${value}` : ''}" data-testid="order-tab-${id}"
             class="${value === status ? 'active' : ''}"${attrIf(value === status, 'aria-current="page"')}>${label}</a>`)}
      </nav>
      ${result.items.length ? result.items.map(orderCard) : emptyState('暂无订单')}
      ${pagination(result)}
    </section>`))) return;
  const activeTab = $('.tabs a.active', ctx.view);
  if (activeTab) activeTab.scrollIntoView({ block: 'nearest', inline: 'nearest' });
  bindPagination(ctx.view, (n) => go(withQuery({ page: n })));
}

function orderCard(order) {
  const status = String(order.status);
  const link = `#/order/${enc(order.order_id)}`;
  return html`
    <article class="order-card" data-testid="order-card" data-order-id="${order.order_id}">
      <header>
        <span class="muted">${formatTime(order.created_at)}</span>
        <span>订单号：${order.trade_no}</span>
        <span class="status status-${status}" data-testid="order-status">${order.status_label}</span>
      </header>
      ${(order.lines || []).map(orderLine)}
      <footer>
        <span>共 ${order.total_count} 件，实付 <strong class="price">${money(order.total)}</strong>（含运费 ${money(order.freight)}）</span>
        <span class="actions">
          <a class="button secondary small" href="${link}" data-testid="order-detail-link">订单详情</a>
          ${status === '1' ? html`<a class="button small" href="#/pay/${enc(order.order_id)}" data-testid="order-pay-button">去支付</a>` : ''}
          ${status === '4' ? html`<a class="button small" href="${link}/review" data-testid="review-link">去评价</a>` : ''}
        </span>
      </footer>
    </article>`;
}

async function pageOrder(ctx) {
  document.title = '订单详情 - 家电之选';
  const order = await api(`/api/orders/${enc(ctx.params[0])}`);
  renderOrder(ctx, order);
}

function renderOrder(ctx, order) {
  const status = String(order.status);
  const id = enc(order.order_id);
  if (!ctx.render(userLayout('/user/orders', html`
    <section class="panel order-detail" data-testid="order-detail">
      <div class="section-head">
        <h1>订单详情</h1>
        <span class="status big status-${status}" data-testid="order-status">${order.status_label}</span>
      </div>
      <dl class="facts">
        <dt>订单号</dt><dd data-testid="order-no">${order.trade_no}</dd>
        <dt>下单时间</dt><dd>${formatTime(order.created_at)}</dd>
        <dt>支付方式</dt><dd>${PAY_METHODS[order.pay_method] || order.pay_method || '—'}</dd>
        <dt>支付时间</dt><dd>${formatTime(order.paid_at)}</dd>
        <dt>收货地址</dt><dd data-testid="order-address">${addressText(order.address)}</dd>
        <dt>订单备注</dt><dd class="pre">${order.mark || '无'}</dd>
      </dl>
      <h2>商品</h2>
      ${(order.lines || []).map((line) => html`
        <div class="line-with-state">${orderLine(line)}${line.reviewed ? html`<span class="tag">已评价</span>` : ''}</div>`)}
      <div class="totals">
        <p>共 ${order.total_count} 件商品</p>
        <p>商品金额：<span data-testid="order-amount">${money(order.amount)}</span></p>
        <p>运费：<span data-testid="order-freight">${money(order.freight)}</span></p>
        <p class="grand">实付总额：<strong class="price big" data-testid="order-total">${money(order.total)}</strong></p>
      </div>
      <div class="actions">
        ${status === '1' ? html`
          <a class="button" href="#/pay/${id}" data-testid="order-pay-button">去支付</a>
          <button type="button" class="button secondary" data-testid="cancel-order-button">取消订单</button>` : ''}
        ${status === '3' ? html`<button type="button" class="button" data-testid="confirm-receipt-button">确认收货</button>` : ''}
        ${status === '4' ? html`<a class="button" href="#/order/${id}/review" data-testid="review-link">评价商品</a>` : ''}
        <a class="button secondary" href="#/user/orders">返回订单列表</a>
      </div>
    </section>`))) return;
  on(ctx.view, '[data-testid="cancel-order-button"]', 'click', (event, button) => withBusy(button, async () => {
    renderOrder(ctx, await post(`/api/orders/${id}/cancel`));
    showNotice('订单已取消');
  }));
  on(ctx.view, '[data-testid="confirm-receipt-button"]', 'click', (event, button) => withBusy(button, async () => {
    renderOrder(ctx, await post(`/api/orders/${id}/confirm-receipt`));
    showNotice('已确认收货，欢迎评价商品');
  }));
}

// ------------------------------------------------------------------ review

async function pageReview(ctx) {
  document.title = '评价订单 - 家电之选';
  const order = await api(`/api/orders/${enc(ctx.params[0])}`);
  const reviewable = String(order.status) === '4';
  if (!ctx.render(userLayout('/user/orders', html`
    <section class="panel">
      <div class="section-head">
        <h1>评价订单</h1>
        <span class="status status-${String(order.status)}" data-testid="order-status">${order.status_label}</span>
      </div>
      <p class="muted">订单号：${order.trade_no}</p>
      ${reviewable ? '' : html`<p class="muted">该订单当前不可评价。</p>`}
      ${(order.lines || []).map((line) => reviewBlock(line, reviewable))}
      <a class="button secondary" href="#/order/${enc(order.order_id)}">返回订单详情</a>
    </section>`))) return;

  on(ctx.view, '[data-testid="review-form"]', 'submit', (event, form) => {
    event.preventDefault();
    withBusy($('[data-testid="review-submit"]', form), async () => {
      const score = form.elements.score.value;
      if (!score) {
        showError('请选择评分');
        return;
      }
      await post(`/api/orders/${enc(order.order_id)}/lines/${enc(form.dataset.lineId)}/review`, {
        score: Number(score),
        content: form.elements.content.value.trim(),
      });
      const done = Object.assign(document.createElement('p'), { className: 'tag done', textContent: '已评价，感谢您的反馈' });
      done.dataset.testid = 'review-done';
      form.replaceWith(done);
      if ($$('[data-testid="review-form"]', ctx.view).length) {
        showNotice('评价成功');
        return;
      }
      showNotice('评价成功，订单已全部评价完成');
      const fresh = await api(`/api/orders/${enc(order.order_id)}`);
      if (ctx.alive) $('[data-testid="order-status"]', ctx.view).textContent = fresh.status_label;
    });
  });
}

function reviewBlock(line, reviewable) {
  return html`
    <div class="review-block">
      ${orderLine(line)}
      ${line.reviewed ? html`<p class="tag done" data-testid="review-done">已评价</p>` : reviewable ? html`
        <form class="form review-form" data-testid="review-form" data-line-id="${line.line_id}" novalidate>
          <fieldset class="scores">
            <legend>评分</legend>
            ${[5, 3, 1].map((score) => html`
              <label><input type="radio" name="score" value="${score}" data-testid="review-score"${attrIf(score === 5, 'checked')}>
                ${SCORE_LABELS[score]}（${score} 分）</label>`)}
          </fieldset>
          <label>评价内容<textarea name="content" rows="3" maxlength="500" placeholder="说说您的使用感受（选填）" data-testid="review-content"></textarea></label>
          <button type="submit" class="button" data-testid="review-submit">提交评价</button>
        </form>` : ''}
    </div>`;
}

// ------------------------------------------------------------------ boot

function bindMessageButtons() {
  $('#error-close').addEventListener('click', () => { $('#error-box').hidden = true; });
  $('#notice-close').addEventListener('click', () => { $('#notice-box').hidden = true; });
}

/** Publish the sticky header's height (it wraps on phones) for the sticky messages under it. */
function trackHeaderHeight() {
  const header = $('.site-header');
  const publish = () => document.documentElement.style.setProperty('--header-height', `${header.offsetHeight}px`);
  publish();
  if ('ResizeObserver' in window) new ResizeObserver(publish).observe(header);
  else window.addEventListener('resize', publish);
}

async function boot() {
  trackHeaderHeight();
  bindMessageButtons();
  bindSearchForm();
  renderUserNav();
  window.addEventListener('hashchange', () => route());
  await Promise.all([loadSession(), loadCategories()]);
  await route();
}

boot();
