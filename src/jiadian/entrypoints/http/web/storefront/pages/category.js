/* #/category/{slug|all}?sort=&page= — a category's products (or all of them), sorted and paged. */

import { api } from '../../shared/api.js';
import { html } from '../../shared/html.js';
import { bindPagination, pagination } from '../../shared/components.js';
import { go, withQuery } from '../../shared/router.js';
import { bindSortBar, productGrid, sortBar } from '../components.js';
import { state } from '../session.js';

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
    ${sortBar(sort, '默认')}
    ${productGrid(result.items)}
    ${pagination(result)}`)) return;
  bindSortBar(ctx.view);
  bindPagination(ctx.view, (n) => go(withQuery({ page: n })));
}
