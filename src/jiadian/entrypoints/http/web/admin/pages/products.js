/*
 * 商品: every product, on shelf or not, newest first, paged on the server; by name
 * (or id), category and shelf state. Shelve and unshelve from the list.
 *
 * Test ids: product-filters, filter-q, filter-category, filter-shelf, new-product-link,
 * products (table), product-row (data-key = id), product-link, shelve-button, unshelve-button.
 */

import { api, post } from '../../shared/api.js';
import { attrIf, html } from '../../shared/html.js';
import { on } from '../../shared/dom.js';
import { bindPagination, image, pagination } from '../../shared/components.js';
import { withBusy } from '../../shared/messages.js';
import { go, withQuery } from '../../shared/router.js';
import { bindFilters, filterButtons, pageHead, pageOf, qs, table, when, yuan } from '../components.js';

export async function render(ctx) {
  const q = ctx.query;
  const shelf = q.get('on_shelf') || '';
  const [page, categories] = await Promise.all([
    api(`/api/admin/catalog/products${qs({
      q: q.get('q'), category_id: q.get('category_id'), on_shelf: shelf, page: pageOf(q), page_size: 20,
    })}`),
    api('/api/admin/catalog/categories'),
  ]);
  const names = new Map(categories.map((c) => [c.id, c.name]));
  const chosen = q.get('category_id') || '';
  ctx.render(html`
    ${pageHead('商品', html`<a class="button" href="#/products/new" data-testid="new-product-link">新建商品</a>`)}
    <form class="filters panel" data-testid="product-filters" role="search">
      <label>搜索<input name="q" value="${q.get('q') || ''}" maxlength="100" placeholder="商品名称或编号" data-testid="filter-q"></label>
      <label>分类<select name="category_id" data-testid="filter-category">
        <option value="">全部分类</option>
        ${categories.map((c) => html`<option value="${c.id}"${attrIf(String(c.id) === chosen, 'selected')}>${c.name}</option>`)}
      </select></label>
      <label>状态<select name="on_shelf" data-testid="filter-shelf">
        <option value="">全部</option>
        <option value="true"${attrIf(shelf === 'true', 'selected')}>在售</option>
        <option value="false"${attrIf(shelf === 'false', 'selected')}>已下架</option>
      </select></label>
      ${filterButtons()}
    </form>
    <section class="panel">
      <p class="muted small" data-testid="products-total">共 ${page.total} 件商品</p>
      ${table([
        ['商品', (p) => html`<span class="cell-with-img">${image(p.image_url, p.name, 'thumb-img')}
          <span><a class="text-link" href="#/products/${p.id}" data-testid="product-link">${p.name}</a>
          <span class="muted small block">#${p.id} · ${p.spu}</span></span></span>`, 'wide'],
        ['分类', (p) => names.get(p.category_id) || p.category_id, 'nowrap'],
        ['价格', (p) => html`<span class="price">${yuan(p.price)}</span>${p.skus > 1 ? html`<span class="muted small"> 起</span>` : ''}`, 'num'],
        ['库存', (p) => html`<span class="${p.stock === 0 ? 'warn' : ''}">${p.stock}</span>`, 'num'],
        ['销量', (p) => p.sales, 'num'],
        ['规格', (p) => p.skus, 'num'],
        ['状态', (p) => (p.on_shelf ? html`<span class="status-tag ok">在售</span>` : html`<span class="status-tag off">已下架</span>`), 'nowrap'],
        ['更新', (p) => when(p.updated_at), 'nowrap'],
        ['操作', (p) => html`
          <a class="button small secondary" href="#/products/${p.id}">编辑</a>
          ${p.on_shelf
            ? html`<button type="button" class="button small secondary" data-shelf="unshelve" data-id="${p.id}" data-testid="unshelve-button">下架</button>`
            : html`<button type="button" class="button small" data-shelf="shelve" data-id="${p.id}" data-testid="shelve-button">上架</button>`}`, 'actions-cell'],
      ], page.items, { testid: 'products', rowTestid: 'product-row', rowKey: (p) => p.id, empty: '没有符合条件的商品' })}
      ${pagination(page)}
    </section>`);
  bindFilters(ctx.view);
  bindPagination(ctx.view, (n) => go(withQuery({ page: n })));
  on(ctx.view, 'button[data-shelf]', 'click', async (event, button) => {
    const done = await withBusy(button, () => post(`/api/admin/catalog/products/${button.dataset.id}/${button.dataset.shelf}`));
    if (done) go(location.hash, { notice: `${done.name} 已${done.on_shelf ? '上架' : '下架'}` });
  });
}
