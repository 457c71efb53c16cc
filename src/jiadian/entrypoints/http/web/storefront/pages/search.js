/* #/search?q=&page= — search results. */

import { api } from '../../shared/api.js';
import { html } from '../../shared/html.js';
import { bindPagination, emptyState, pagination } from '../../shared/components.js';
import { go, withQuery } from '../../shared/router.js';
import { productGrid } from '../components.js';

export async function render(ctx) {
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
