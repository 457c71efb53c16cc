/* #/category/{slug|all}?sort=&page= — a category's products (or all of them), sorted and paged. */

import { api, ApiError } from '../../shared/api.js';
import { html } from '../../shared/html.js';
import { bindPagination, pagination, problemState } from '../../shared/components.js';
import { go, withQuery } from '../../shared/router.js';
import { bindSortBar, categoryLinks, productGrid, sortBar } from '../components.js';
import { state } from '../session.js';

export async function render(ctx) {
  const slug = ctx.params[0];
  const sort = ctx.query.get('sort') || '';
  const page = ctx.query.get('page') || '1';
  const params = new URLSearchParams({ category: slug, page });
  if (sort) params.set('sort', sort);
  const [result] = await Promise.all([
    api(`/api/catalog/products?${params}`).catch((err) => err),
    state.categoriesLoaded,
  ]);
  if (result instanceof ApiError && result.status >= 400 && result.status < 500 && result.status !== 429) {
    renderProblem(ctx, slug, result);
    return;
  }
  if (result instanceof Error) throw result;
  const category = state.categories.find((c) => c.slug === slug);
  const title = slug === 'all' ? '全部商品' : (category ? category.name : slug);
  document.title = `${title} - 家电之选`;
  if (!ctx.render(html`
    <nav class="breadcrumb" aria-label="当前位置"><a href="#/">首页</a> › <span>${title}</span></nav>
    <h1 data-testid="category-title">${title}</h1>
    ${sortBar(sort, '默认')}
    ${productGrid(result.items)}
    ${pagination(result)}`)) return;
  bindSortBar(ctx.view);
  bindPagination(ctx.view, (n) => go(withQuery({ page: n })));
}

/** An unknown category, or a sort or page the list does not have: say so, and offer the lists there are. */
function renderProblem(ctx, slug, err) {
  const unknown = err.code === 'not_found';
  document.title = `${unknown ? '分类不存在' : '无法显示该列表'} - 家电之选`;
  ctx.render(html`
    ${problemState({
      title: unknown ? '没有找到这个分类' : '无法按这个条件显示商品',
      text: unknown ? `分类“${slug}”不存在或已下线，看看这些分类吧：` : `${err.detail}。可以换一种方式浏览：`,
      actions: unknown
        ? [{ href: '#/category/all', label: '浏览全部商品', primary: true }, { href: '#/', label: '返回首页' }]
        : [{ href: `#/category/${encodeURIComponent(slug)}`, label: '按默认顺序查看', primary: true },
          { href: '#/category/all', label: '浏览全部商品' }],
    })}
    ${categoryLinks(state.categories)}`);
}
