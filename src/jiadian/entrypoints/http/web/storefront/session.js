/*
 * Who is shopping and the header that shows it: the signed-in shopper, the
 * categories, the cart badge, the search box and the category links.
 */

import { api, post } from '../shared/api.js';
import { attrIf, html } from '../shared/html.js';
import { $, $$, enc, on } from '../shared/dom.js';
import { handleError, withBusy } from '../shared/messages.js';
import { currentRoute, go } from '../shared/router.js';

export const state = {
  user: null,          // {id, username, ...} from /api/me, or null when anonymous
  categories: [],      // [{id, name, slug, image_url}]
  cartLines: null,     // number of distinct cart lines, for the header badge
};

/** Accept only in-app hash targets for "next" redirects. */
export const safeNext = (next) => (typeof next === 'string' && next.startsWith('#/') && !next.startsWith('#/login') ? next : null);

export function renderUserNav() {
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

export function setCartLines(count) {
  state.cartLines = Number.isFinite(Number(count)) ? Number(count) : null;
  renderUserNav();
}

export async function refreshCartBadge() {
  if (!state.user) return;
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

export function syncSearchBox(path, query) {
  $('#search-input').value = path === '/search' ? query.get('q') || '' : '';
}

export async function loadSession() {
  try {
    state.user = await api('/api/me');
  } catch (err) {
    state.user = null;
    if (err.status !== 401) handleError(err);
  }
  renderUserNav();
  await refreshCartBadge();
}

export async function loadCategories() {
  try {
    state.categories = await api('/api/catalog/categories');
  } catch (err) {
    handleError(err);
  }
  renderCategoryLinks();
}

export async function logout() {
  await post('/api/auth/logout');
  state.user = null;
  state.cartLines = null;
  renderUserNav();
  go('#/', { notice: '您已退出登录' });
}

export function bindSearchForm() {
  $('#search-form').addEventListener('submit', (event) => {
    event.preventDefault();
    const q = $('#search-input').value.trim();
    go(`#/search?${new URLSearchParams({ q })}`);
  });
}

/** A 401 signs the shopper out here and sends them to sign in, then back (the messages' hook). */
export function onUnauthorized(err) {
  if (currentRoute().path === '/login') return false;
  state.user = null;
  state.cartLines = null;
  renderUserNav();
  go(`#/login?next=${enc(location.hash || '#/')}`, { error: err.detail || '请先登录' });
  return true;
}
