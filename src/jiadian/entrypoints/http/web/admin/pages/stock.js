/*
 * 库存: skus low on stock, least first, with their price and stock editable in place
 * (each change takes effect in the storefront at once, and is in the audit log).
 *
 * Test ids: stock-filter, filter-at-most, stock (table), stock-row (data-key = sku id),
 * stock-input, stock-save, price-input, price-save.
 */

import { api, put } from '../../shared/api.js';
import { html } from '../../shared/html.js';
import { $, on } from '../../shared/dom.js';
import { bindPagination, image, pagination } from '../../shared/components.js';
import { withBusy } from '../../shared/messages.js';
import { go, withQuery } from '../../shared/router.js';
import { state } from '../session.js';
import { bindFilters, pageHead, pageOf, qs, table } from '../components.js';

export async function render(ctx) {
  const q = ctx.query;
  const fallback = state.settings ? state.settings.low_stock_at_most : 10;
  const atMost = q.get('at_most') ?? String(fallback);
  const page = await api(`/api/admin/catalog/skus${qs({ stock_at_most: atMost, page: pageOf(q), page_size: 20 })}`);
  ctx.render(html`
    ${pageHead('库存', html`<span class="muted" data-testid="stock-total">${page.total} 个 SKU 库存不超过 ${atMost} 件</span>`)}
    <form class="filters panel" data-testid="stock-filter">
      <label>库存不超过<input name="at_most" type="number" min="0" step="1" value="${atMost}" data-testid="filter-at-most"></label>
      <div class="filter-actions"><button type="submit" class="button small">查看</button></div>
    </form>
    <section class="panel">
      ${table([
        ['商品', (r) => html`<span class="cell-with-img">${image(r.image_url, r.product_name, 'thumb-img')}
          <span><a class="text-link" href="#/products/${r.product_id}">${r.product_name}</a>
          <span class="muted small block">SKU #${r.sku_id}${r.color || r.size ? ` · ${[r.color, r.size].filter(Boolean).join(' / ')}` : ''}${r.on_shelf ? '' : ' · 已下架'}</span></span></span>`, 'wide'],
        ['库存', (r) => html`<form class="inline-edit" data-field="stock" data-sku="${r.sku_id}">
          <input name="value" type="number" min="0" step="1" value="${r.stock}" aria-label="库存" class="${r.stock === 0 ? 'warn' : ''}" data-testid="stock-input">
          <button type="submit" class="button small secondary" data-testid="stock-save">保存</button></form>`],
        ['价格（元）', (r) => html`<form class="inline-edit" data-field="price" data-sku="${r.sku_id}">
          <input name="value" inputmode="decimal" value="${r.price}" aria-label="价格" data-testid="price-input">
          <button type="submit" class="button small secondary" data-testid="price-save">保存</button></form>`],
        ['销量', (r) => r.sales, 'num'],
      ], page.items, { testid: 'stock', rowTestid: 'stock-row', rowKey: (r) => r.sku_id, empty: '没有库存不足的 SKU' })}
      ${pagination(page)}
    </section>`);
  bindFilters(ctx.view);
  bindPagination(ctx.view, (n) => go(withQuery({ page: n })));
  on(ctx.view, 'form.inline-edit', 'submit', (event, form) => {
    event.preventDefault();
    const { field, sku } = form.dataset;
    const raw = $('input', form).value.trim();
    const body = field === 'stock' ? { stock: Number.parseInt(raw, 10) } : { price: raw };
    withBusy($('button', form), async () => {
      const saved = await put(`/api/admin/catalog/skus/${sku}/${field}`, body);
      go(location.hash, { notice: `SKU #${saved.id} 的${field === 'stock' ? `库存已改为 ${saved.stock}` : `价格已改为 ¥${saved.price}`}` });
    });
  });
}
