/* #/category/{slug|all}?sort=&page= — a category's products (or all of them), sorted and paged. */

import { api } from '../../shared/api.js';
import { html } from '../../shared/html.js';
import { on } from '../../shared/dom.js';
import { bindPagination, pagination } from '../../shared/components.js';
import { go, withQuery } from '../../shared/router.js';
import { productGrid } from '../components.js';
import { state } from '../session.js';

const SORTS = [
  ['', '默认', 'sort-default'],
  ['price', '价格从低到高', 'sort-price-asc'],
  ['-price', '价格从高到低', 'sort-price-desc'],
  ['sales', '销量从低到高', 'sort-sales-asc'],
  ['-sales', '销量从高到低', 'sort-sales-desc'],
  ['date', '最早上架', 'sort-date-asc'],
  ['-date', '最新上架', 'sort-date-desc'],
];

export async function render(ctx) {
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
