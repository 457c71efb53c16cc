/*
 * Who runs the console: the signed-in operator (an admin, else nobody — the
 * console shows its sign-in page and asks the server for nothing else), the
 * shop's settings the pages depend on, the header and the navigation.
 */

import { api, post } from '../shared/api.js';
import { attrIf, html } from '../shared/html.js';
import { $, enc, on } from '../shared/dom.js';
import { handleError, withBusy } from '../shared/messages.js';
import { currentRoute, go } from '../shared/router.js';

export const state = {
  user: null, // {id, username, is_admin, ...} from /api/me, or null when signed out
  settings: null, // /api/admin/console: recharge_enabled, payment_gateway, stock_gate, low_stock_at_most
};

export const isOperator = () => Boolean(state.user && state.user.is_admin);

export const NAV = [
  ['/', '概览', 'nav-dashboard'],
  ['/orders', '订单', 'nav-orders'],
  ['/products', '商品', 'nav-products'],
  ['/stock', '库存', 'nav-stock'],
  ['/categories', '分类', 'nav-categories'],
  ['/banners', '轮播图', 'nav-banners'],
  ['/payments', '支付', 'nav-payments'],
  ['/refunds', '退款', 'nav-refunds'],
  ['/users', '用户', 'nav-users'],
  ['/gate', '库存闸门', 'nav-gate'],
  ['/audit', '操作日志', 'nav-audit'],
];

function section(path) {
  if (path === '/') return '/';
  const found = NAV.find(([p]) => p !== '/' && (path === p || path.startsWith(`${p}/`)));
  return found ? found[0] : null;
}

export function renderNav() {
  const nav = $('#console-nav');
  nav.hidden = !isOperator();
  if (nav.hidden) {
    nav.innerHTML = '';
    return;
  }
  const active = section(currentRoute().path);
  nav.innerHTML = String(html`${NAV.map(([path, label, testid]) => html`
    <a href="#${path}" data-testid="${testid}" class="${path === active ? 'active' : ''}"${attrIf(path === active, 'aria-current="page"')}>${label}</a>`)}`);
  const current = $('.active', nav);
  if (current && nav.scrollWidth > nav.clientWidth) nav.scrollLeft = current.offsetLeft - nav.clientWidth / 3;
}

export function renderUserNav() {
  const user = state.user;
  $('#user-nav').innerHTML = String(html`
    <a href="/" data-testid="storefront-link">商城首页</a>
    ${user
      ? html`<span class="user-link" data-testid="operator-name">${user.username}</span>
             <button type="button" class="link-button" data-testid="logout-button">退出</button>`
      : ''}`);
  on($('#user-nav'), '[data-testid="logout-button"]', 'click', (event, button) => withBusy(button, logout));
}

export async function loadSession() {
  try {
    state.user = await api('/api/me');
  } catch (err) {
    state.user = null;
    if (err.status !== 401) handleError(err);
  }
  state.settings = null;
  if (isOperator()) {
    try {
      state.settings = await api('/api/admin/console');
    } catch (err) {
      handleError(err);
    }
  }
  renderUserNav();
  renderNav();
}

export async function logout() {
  await post('/api/auth/logout');
  state.user = null;
  state.settings = null;
  renderUserNav();
  renderNav();
  go('#/login', { notice: '您已退出登录' });
}

/** A 401 (the session ended) or 403 (no longer an operator): back to the sign-in page, then back here. */
export function onUnauthorized(err) {
  if (currentRoute().path === '/login') return false;
  state.user = null;
  renderUserNav();
  renderNav();
  go(`#/login?next=${enc(location.hash || '#/')}`, { error: err.detail || '请先登录' });
  return true;
}
