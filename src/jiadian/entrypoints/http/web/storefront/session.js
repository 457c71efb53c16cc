/*
 * Who is shopping and the header that shows it: the signed-in shopper, the
 * categories, the cart badge, the search box and the category links.
 */

import { api, post } from '../shared/api.js';
import { attrIf, html } from '../shared/html.js';
import { $, $$, enc, on } from '../shared/dom.js';
import { handleError, withBusy } from '../shared/messages.js';
import { currentRoute, go } from '../shared/router.js';
import { guestLineCount, mergeGuestCart } from './guest-cart.js';

export const state = {
  user: null,          // {id, username, ...} from /api/me, or null when anonymous
  categories: [],      // [{id, name, slug, image_url}]
  cartLines: null,     // number of distinct cart lines (the account's, or the guest's), for the header badge
  sessionLoaded: null, // a promise, settled once /api/me has answered: pages that need the shopper await it
  categoriesLoaded: null, // likewise for the categories
};

/** Accept only in-app hash targets for "next" redirects. */
export const safeNext = (next) => (typeof next === 'string' && next.startsWith('#/') && !next.startsWith('#/login') ? next : null);

export function renderUserNav() {
  const user = state.user;
  const count = state.cartLines;
  $('#user-nav').innerHTML = String(html`
    <a class="cart-link" href="#/cart" data-testid="cart-link">购物车<span class="badge" data-testid="cart-count"${attrIf(!count, 'hidden')}>${count || ''}</span>${count ? html`<span class="visually-hidden">种商品</span>` : ''}</a>
    ${user
      ? html`<a href="#/user" data-testid="user-link" class="user-link">${user.username}</a>
             <a href="#/user/orders" data-testid="orders-link">我的订单</a>
             <button type="button" class="link-button" data-testid="logout-button">退出</button>`
      : html`<a href="#/login" data-testid="login-link">登录</a>
             <a href="#/register" data-testid="register-link">注册</a>`}`);
  on($('#user-nav'), '[data-testid="logout-button"]', 'click', (event, button) => withBusy(button, logout));
}

export function setCartLines(count) {
  state.cartLines = Number.isFinite(Number(count)) ? Number(count) : null;
  renderUserNav();
}

export async function refreshCartBadge() {
  if (!state.user) {
    setCartLines(guestLineCount() || null);
    return;
  }
  try {
    const cart = await api('/api/cart');
    setCartLines(cart.lines.length);
  } catch (err) {
    if (err.status !== 401) handleError(err);
  }
}

export function renderCategoryLinks() {
  const links = [{ slug: 'all', name: '全部商品' }, ...state.categories];
  $('#category-links').innerHTML = String(html`${links.map((c) => html`
    <a href="#/category/${enc(c.slug)}" data-testid="category-link" data-slug="${c.slug}">${c.name}</a>`)}`);
  markActiveCategory(currentRoute().path);
}

export function markActiveCategory(path) {
  $$('#category-links a').forEach((a) => {
    a.classList.toggle('active', path === `/category/${a.dataset.slug}`);
  });
}

const SEARCH_PLACEHOLDER = '搜索手机、电脑、耳机…';

export function syncSearchBox(path, query) {
  const input = $('#search-input');
  input.value = path === '/search' ? query.get('q') || '' : '';
  input.placeholder = SEARCH_PLACEHOLDER;
  input.removeAttribute('aria-invalid');
}

export function loadSession() {
  state.sessionLoaded = (async () => {
    try {
      state.user = await api('/api/me');
    } catch (err) {
      state.user = null;
      if (err.status !== 401) handleError(err);
    }
    renderUserNav();
  })();
  return state.sessionLoaded.then(refreshCartBadge);
}

/**
 * After signing in or up: the guest's cart brought into the account's, then
 * on to `next` with `welcome` and what became of that cart (a failed merge
 * leaves the guest's cart for later). The header shows the shopper only once
 * the page is on its way, so nothing clicked meanwhile is overtaken by it.
 */
export async function signedIn(next, welcome) {
  let merged = '';
  try {
    merged = await mergeGuestCart();
  } catch (err) {
    merged = `登录前选购的商品暂未放入购物车：${err.detail || '请稍后再试'}`;
  }
  const [user, cart] = await Promise.all([api('/api/me'), api('/api/cart').catch(() => null)]);
  state.user = user;
  state.cartLines = cart && cart.lines.length ? cart.lines.length : null;
  state.sessionLoaded = Promise.resolve();
  go(next, { notice: merged ? `${welcome}。${merged}` : welcome });
  renderUserNav();
}

export function loadCategories() {
  state.categoriesLoaded = (async () => {
    try {
      state.categories = await api('/api/catalog/categories');
    } catch (err) {
      handleError(err);
    }
    renderCategoryLinks();
  })();
  return state.categoriesLoaded;
}

export async function logout() {
  await post('/api/auth/logout');
  state.user = null;
  state.cartLines = null;
  await refreshCartBadge();
  go('#/', { notice: '您已退出登录' });
}

export function bindSearchForm() {
  $('#search-form').addEventListener('submit', (event) => {
    event.preventDefault();
    const input = $('#search-input');
    const q = input.value.trim();
    if (!q) {
      input.value = '';
      input.focus();
      input.setAttribute('aria-invalid', 'true');
      input.placeholder = '请输入要搜索的商品，如“耳机”';
      return;
    }
    input.removeAttribute('aria-invalid');
    go(`#/search?${new URLSearchParams({ q })}`);
  });
}

/** The category of a product, whether the API gives a slug, a name, an id or an object. */
export function findCategory(value) {
  if (value && typeof value === 'object') {
    return value.slug ? value : state.categories.find((c) => c.id === value.id) || null;
  }
  return state.categories.find((c) => c.slug === value || c.name === value || String(c.id) === String(value)) || null;
}

/** A 401 signs the shopper out here and sends them to sign in, then back (the messages' hook). */
export function onUnauthorized(err) {
  if (currentRoute().path === '/login') return false;
  state.user = null;
  state.cartLines = null;
  refreshCartBadge();
  go(`#/login?next=${enc(location.hash || '#/')}`, { error: err.detail || '请先登录' });
  return true;
}
