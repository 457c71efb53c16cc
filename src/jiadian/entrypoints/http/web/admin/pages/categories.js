/*
 * 分类: every category with its number of products (on shelf), and a new one.
 *
 * Test ids: categories (table), category-row, category-form, category-name, category-slug, add-category.
 */

import { api, post } from '../../shared/api.js';
import { html } from '../../shared/html.js';
import { $, enc } from '../../shared/dom.js';
import { image } from '../../shared/components.js';
import { withBusy } from '../../shared/messages.js';
import { go } from '../../shared/router.js';
import { pageHead, table } from '../components.js';

export async function render(ctx) {
  const categories = await api('/api/admin/catalog/categories');
  ctx.render(html`
    ${pageHead('分类')}
    <section class="panel">
      ${table([
        ['分类', (c) => html`<span class="cell-with-img">${image(c.image_url, c.name, 'thumb-img')}<strong>${c.name}</strong></span>`, 'wide'],
        ['标识', (c) => html`<span class="mono">${c.slug}</span>`],
        ['商品', (c) => html`<a class="text-link" href="#/products?category_id=${c.id}">${c.products}</a>`, 'num'],
        ['在售', (c) => c.on_shelf, 'num'],
        ['商城', (c) => html`<a class="text-link" href="/#/category/${enc(c.slug)}" target="_blank" rel="noopener">查看</a>`],
      ], categories, { testid: 'categories', rowTestid: 'category-row', empty: '还没有分类' })}
    </section>
    <section class="panel">
      <h2>新建分类</h2>
      <form class="form form-inline" data-testid="category-form">
        <label>名称<input name="name" required maxlength="20" data-testid="category-name"></label>
        <label>标识<input name="slug" required maxlength="32" pattern="[a-z0-9][a-z0-9-]*" placeholder="如 kitchen" data-testid="category-slug">
          <span class="muted small">用于网址：小写字母、数字或连字符</span></label>
        <button type="submit" class="button" data-testid="add-category">新建</button>
      </form>
    </section>`);
  const form = $('[data-testid="category-form"]', ctx.view);
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    withBusy($('[data-testid="add-category"]', form), async () => {
      const created = await post('/api/admin/catalog/categories', { name: form.name.value.trim(), slug: form.slug.value.trim() });
      go(location.hash, { notice: `分类“${created.name}”已创建` });
    });
  });
}
