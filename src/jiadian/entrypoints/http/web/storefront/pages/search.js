/* #/search?q=&sort=&page= — search results, best match first or in a list order the shopper picks; an
 * empty or refused search asks again, with ways to browse. */

import { api, ApiError } from '../../shared/api.js';
import { html } from '../../shared/html.js';
import { $ } from '../../shared/dom.js';
import { bindPagination, pagination, problemState } from '../../shared/components.js';
import { go, withQuery } from '../../shared/router.js';
import { bindSortBar, categoryLinks, productGrid, sortBar } from '../components.js';
import { state } from '../session.js';

export async function render(ctx) {
  const q = (ctx.query.get('q') || '').trim();
  const sort = ctx.query.get('sort') || '';
  const page = ctx.query.get('page') || '1';
  if (!q) {
    document.title = '搜索 - 家电之选';
    await state.categoriesLoaded;
    askAgain(ctx, '请输入要搜索的商品', '在页面上方的搜索框输入商品名称，例如“耳机”“冰箱”，或者按分类浏览：');
    return;
  }
  document.title = `搜索“${q}” - 家电之选`;
  const params = new URLSearchParams({ q, page });
  if (sort) params.set('sort', sort);
  let result;
  try {
    result = await api(`/api/catalog/search?${params}`);
  } catch (err) {
    if (!(err instanceof ApiError) || err.status !== 400) throw err;
    await state.categoriesLoaded;
    askAgain(ctx, '无法搜索这个内容', `${err.detail}。请修改搜索内容，或者按分类浏览：`);
    return;
  }
  if (!ctx.render(html`
    <nav class="breadcrumb" aria-label="当前位置"><a href="#/">首页</a> › <span>搜索</span></nav>
    <h1>搜索结果</h1>
    <p class="muted" data-testid="search-summary">“${q}”共找到 ${result.total} 件商品</p>
    ${result.items.length ? html`${sortBar(sort, '最相关')}${productGrid(result.items)}` : html`
      ${problemState({
        title: `没有找到与“${q}”相关的商品`,
        text: '换个词试试（如品牌或品类），或者按分类浏览：',
        heading: 'h2',
        testid: 'empty-state',
        actions: [{ href: '#/category/all', label: '浏览全部商品' }],
      })}
      ${categoryLinks(state.categories)}`}
    ${pagination(result)}`)) return;
  bindSortBar(ctx.view);
  bindPagination(ctx.view, (n) => go(withQuery({ page: n })));
}

/** The search box is where the shopper fixes it: the page says so and hands the focus there. */
function askAgain(ctx, title, text) {
  if (!ctx.render(html`
    ${problemState({ title, text, testid: 'search-problem', actions: [{ href: '#/category/all', label: '浏览全部商品' }] })}
    ${categoryLinks(state.categories)}`)) return;
  ctx.focus($('#search-input'));
}
