/* #/category/{slug|all}?sort=&page= — a category's products (or all of them), sorted and paged. */

import { api, ApiError } from '../../shared/api.js';
import { html } from '../../shared/html.js';
import { on } from '../../shared/dom.js';
import { bindPagination, pagination, problemState } from '../../shared/components.js';
import { go, withQuery } from '../../shared/router.js';
import { categoryLinks, productGrid } from '../components.js';
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
