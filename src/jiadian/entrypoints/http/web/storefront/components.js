/* The storefront's own components: product cards, order lines, the user centre's layout. */

import { api, ApiError } from '../shared/api.js';
import { attrIf, html } from '../shared/html.js';
import { enc, on } from '../shared/dom.js';
import { go, withQuery } from '../shared/router.js';
import { emptyState, image, problemState } from '../shared/components.js';
import { money, specs } from '../shared/format.js';

/** Whether a card's skus differ in price: its price is then the lowest, said with 起 ("from"). */
const priceVaries = (product) => Boolean(product.max_price) && product.max_price !== product.price;

/** The product page at the sku a card priced (its cheapest), so the page opens at the card's price. */
export const productHref = (product) => `#/product/${enc(product.id)}${product.sku_id ? `?sku=${enc(product.sku_id)}` : ''}`;

export function productCard(product) {
  const varies = priceVaries(product);
  return html`
    <article class="card product-card" data-testid="product-card" data-product-id="${product.id}" data-sku-id="${product.sku_id ?? ''}">
      <a class="card-link" href="${productHref(product)}">
        ${image(product.image_url, '', 'card-img')}
        <h3 class="card-title">${product.name}</h3>
      </a>
      <div class="card-meta">
        <span class="price" data-testid="card-price">${money(product.price)}${varies ? html`<small class="from">起</small>` : ''}</span>
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
  const href = `#/product/${enc(line.product_id)}?sku=${enc(line.sku_id)}`;
  return html`
    <div class="line" data-testid="order-line" data-line-id="${line.line_id}">
      <a href="${href}" tabindex="-1" aria-hidden="true">${image(line.image_url, '', 'line-img')}</a>
      <div class="line-info">
        <a href="${href}">${line.name}</a>
        <span class="muted">${specs(line)}</span>
      </div>
      <div class="line-price">${money(line.unit_price ?? line.price)} × ${line.count}</div>
      <div class="line-total price">${money(line.line_total)}</div>
    </div>`;
}

/** The categories as links: a way on from a list or a search that found nothing. */
export function categoryLinks(categories) {
  if (!categories || !categories.length) return '';
  return html`
    <nav class="category-chips" aria-label="商品分类" data-testid="category-chips">
      ${categories.map((c) => html`<a class="chip" href="#/category/${enc(c.slug)}">${c.name}</a>`)}
    </nav>`;
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

/** An order that is not there (or not this shopper's): the way on is their orders. */
export function orderMissing() {
  document.title = '订单不存在 - 家电之选';
  return problemState({
    title: '没有找到这个订单',
    text: '订单号可能有误，或者这不是您账号下的订单。',
    testid: 'order-missing',
    actions: [{ href: '#/user/orders', label: '查看我的订单', primary: true }, { href: '#/', label: '返回首页' }],
  });
}

/** The shopper's order of the page's path, or null once the page says it is not there. */
export async function loadOrder(ctx) {
  try {
    return await api(`/api/orders/${enc(ctx.params[0])}`);
  } catch (err) {
    if (!(err instanceof ApiError) || err.code !== 'not_found') throw err;
    ctx.render(userLayout('/user/orders', orderMissing()));
    return null;
  }
}
