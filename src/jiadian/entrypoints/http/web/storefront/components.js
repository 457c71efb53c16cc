/* The storefront's own components: product cards, order lines, the user centre's layout. */

import { attrIf, html } from '../shared/html.js';
import { enc } from '../shared/dom.js';
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
