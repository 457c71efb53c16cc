/* #/search?q=&sort=&page= — search results: best match first, or in a list order the shopper picks. */

import { api } from '../../shared/api.js';
import { html } from '../../shared/html.js';
import { bindPagination, emptyState, pagination } from '../../shared/components.js';
import { go, withQuery } from '../../shared/router.js';
import { bindSortBar, productGrid, sortBar } from '../components.js';

export async function render(ctx) {
  const q = ctx.query.get('q') || '';
  const sort = ctx.query.get('sort') || '';
  const page = ctx.query.get('page') || '1';
  document.title = `搜索 ${q} - 家电之选`;
  const params = new URLSearchParams({ q, page });
  if (sort) params.set('sort', sort);
  const result = await api(`/api/catalog/search?${params}`);
  if (!ctx.render(html`
    <nav class="breadcrumb"><a href="#/">首页</a> › <span>搜索</span></nav>
    <h1>搜索结果</h1>
    <p class="muted" data-testid="search-summary">“${q}”共找到 ${result.total} 件商品</p>
    ${result.items.length ? html`${sortBar(sort, '最相关')}${productGrid(result.items)}` : emptyState(`没有找到与“${q}”相关的商品`)}
    ${pagination(result)}`)) return;
  bindSortBar(ctx.view);
  bindPagination(ctx.view, (n) => go(withQuery({ page: n })));
}
