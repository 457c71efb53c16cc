/* The storefront's own components: product cards, order lines, the user centre's layout. */

import { attrIf, html } from '../shared/html.js';
import { enc, on } from '../shared/dom.js';
import { go, withQuery } from '../shared/router.js';
import { emptyState, image } from '../shared/components.js';
import { money, specs } from '../shared/format.js';

export function productCard(product) {
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

export function productGrid(products, testid = 'product-grid') {
  if (!products || !products.length) return emptyState('暂无商品');
  return html`<div class="grid" data-testid="${testid}">${products.map(productCard)}</div>`;
}

const SORTS = [
  ['price', '价格从低到高', 'sort-price-asc'],
  ['-price', '价格从高到低', 'sort-price-desc'],
  ['sales', '销量从低到高', 'sort-sales-asc'],
  ['-sales', '销量从高到低', 'sort-sales-desc'],
  ['date', '最早上架', 'sort-date-asc'],
  ['-date', '最新上架', 'sort-date-desc'],
];

/** The list orders as buttons (a category's, a search's); `first` names the order without a sort key. */
export function sortBar(sort, first) {
  return html`
    <div class="sort-bar" data-testid="sort-bar" role="group" aria-label="排序">
      ${[['', first, 'sort-default'], ...SORTS].map(([key, label, testid]) => html`
        <button type="button" data-sort="${key}" data-testid="${testid}" class="${key === sort ? 'active' : ''}"
                aria-pressed="${key === sort ? 'true' : 'false'}">${label}</button>`)}
    </div>`;
}

/** A sort button goes to the first page in its order. */
export function bindSortBar(view) {
  on(view, '.sort-bar button', 'click', (event, button) => go(withQuery({ sort: button.dataset.sort, page: null })));
}

export function orderLine(line) {
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

export function addressText(address) {
  if (!address) return '—';
  return `${address.recipient} ${address.phone} ${address.province}${address.city}${address.county}${address.detail}`;
}

const USER_MENU = [
  ['/user', '个人信息'],
  ['/user/balance', '我的余额'],
  ['/user/addresses', '收货地址'],
  ['/user/orders', '我的订单'],
  ['/user/password', '修改密码'],
];

export function userLayout(active, content) {
  return html`
    <div class="user-layout">
      <nav class="user-menu" data-testid="user-menu" aria-label="用户中心">
        ${USER_MENU.map(([path, label]) => html`
          <a href="#${path}" class="${path === active ? 'active' : ''}"${attrIf(path === active, 'aria-current="page"')}>${label}</a>`)}
      </nav>
      <div class="user-main">${content}</div>
    </div>`;
}
