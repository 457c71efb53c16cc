/*
 * A product, new or edited: name, category, spu (a product line: suggested as you
 * type, created when new) and its detail, shelf state, skus (colour, size, price,
 * stock); then each sku's images — upload several, reorder, delete; the first is
 * the one its card shows. Prices and stock show in the storefront as soon as saved.
 *
 * Test ids: product-form, product-name, product-category, product-spu, product-detail,
 * product-on-shelf, sku-rows, sku-row (data-sku-id, "" for a new one), sku-color, sku-size,
 * sku-price, sku-stock, sku-remove, add-sku, save-product, storefront-link,
 * sku-images (data-sku-id), image-upload, upload-button, image (data-image-id), image-left,
 * image-right, image-delete, first-image.
 */

import { api, put, del, post } from '../../shared/api.js';
import { attrIf, html } from '../../shared/html.js';
import { $, $$, enc, on } from '../../shared/dom.js';
import { image } from '../../shared/components.js';
import { clearMessages, handleError, showError, withBusy } from '../../shared/messages.js';
import { go } from '../../shared/router.js';
import { confirmAction } from '../../shared/dialog.js';
import { pageHead } from '../components.js';

function skuRow(sku = null) {
  const known = Boolean(sku);
  return html`
    <tr data-testid="sku-row" data-sku-id="${known ? sku.id : ''}">
      ${known
        ? html`<td data-label="颜色"><input type="hidden" name="color" value="${sku.color}"><span data-testid="sku-color">${sku.color || '—'}</span></td>
               <td data-label="规格"><input type="hidden" name="size" value="${sku.size}"><span data-testid="sku-size">${sku.size || '—'}</span></td>`
        : html`<td data-label="颜色"><input name="color" maxlength="50" aria-label="颜色" data-testid="sku-color"></td>
               <td data-label="规格"><input name="size" maxlength="50" aria-label="规格" data-testid="sku-size"></td>`}
      <td data-label="价格（元）"><input name="price" value="${known ? sku.price : ''}" inputmode="decimal" required pattern="\\d{1,9}(\\.\\d{1,2})?" aria-label="价格" data-testid="sku-price"></td>
      <td data-label="库存"><input name="stock" value="${known ? sku.stock : ''}" type="number" min="0" step="1" required aria-label="库存" data-testid="sku-stock"></td>
      <td data-label="销量" class="num">${known ? sku.sales : '—'}</td>
      <td class="actions-cell">${known
        ? html`<span class="muted small">#${sku.id}</span>`
        : html`<button type="button" class="link-button danger" data-testid="sku-remove">移除</button>`}</td>
    </tr>`;
}

function gallery(sku) {
  const images = sku.images;
  return html`
    <section class="sku-gallery" data-testid="sku-images" data-sku-id="${sku.id}">
      <h3>${[sku.color, sku.size].filter(Boolean).join(' / ') || `SKU #${sku.id}`} <span class="muted small">${images.length} 张</span></h3>
      <ol class="images">${images.map((img, index) => html`
        <li class="image-item" data-testid="image" data-image-id="${img.id}">
          ${image(img.url, `图片 ${index + 1}`, 'gallery-img')}
          ${index === 0 ? html`<span class="tag" data-testid="first-image">首图</span>` : ''}
          <div class="image-actions">
            <button type="button" class="link-button" data-move="-1" aria-label="前移"${attrIf(index === 0, 'disabled')} data-testid="image-left">←</button>
            <button type="button" class="link-button" data-move="1" aria-label="后移"${attrIf(index === images.length - 1, 'disabled')} data-testid="image-right">→</button>
            <button type="button" class="link-button danger" data-delete aria-label="删除" data-testid="image-delete">删除</button>
          </div>
        </li>`)}</ol>
      <form class="upload">
        <label class="file-pick button small secondary">选择图片（可多选）
          <input type="file" accept="image/png,image/jpeg,image/gif,image/webp" multiple class="visually-hidden" data-testid="image-upload"></label>
        <span class="muted small upload-hint">PNG、JPEG、GIF 或 WebP，每张不超过 3 MB</span>
        <button type="submit" class="button small" data-testid="upload-button">上传</button>
      </form>
    </section>`;
}

function readSkus(form) {
  return $$('[data-testid="sku-row"]', form).map((row) => ({
    color: $('[name="color"]', row).value.trim(),
    size: $('[name="size"]', row).value.trim(),
    price: $('[name="price"]', row).value.trim(),
    stock: Number.parseInt($('[name="stock"]', row).value, 10),
  }));
}

export async function render(ctx) {
  const [productId] = ctx.params;
  const creating = !productId;
  const [categories, sheet] = await Promise.all([
    api('/api/admin/catalog/categories'),
    creating ? null : api(`/api/admin/catalog/products/${enc(productId)}`),
  ]);
  if (!categories.length) {
    showError('还没有分类：请先新建一个分类');
    go('#/categories');
    return;
  }
  const chosen = sheet ? sheet.category.slug : categories[0].slug;
  document.title = `${creating ? '新建商品' : sheet.name} · 运营后台`;
  ctx.render(html`
    <p class="breadcrumb"><a href="#/products">商品</a> › ${creating ? '新建' : sheet.name}</p>
    ${pageHead(creating ? '新建商品' : html`编辑商品 <span class="muted">#${sheet.id}</span>`,
      creating ? '' : html`<a class="button secondary small" href="/#/product/${sheet.id}" target="_blank" rel="noopener" data-testid="storefront-link">在商城查看</a>`)}
    <form class="form panel product-form" data-testid="product-form" novalidate>
      <div class="form-grid">
        <label class="wide">商品名称<input name="name" required maxlength="100" value="${sheet ? sheet.name : ''}" data-testid="product-name"></label>
        <label>分类<select name="category" data-testid="product-category">${categories.map((c) => html`
          <option value="${c.slug}"${attrIf(c.slug === chosen, 'selected')}>${c.name}</option>`)}</select></label>
        <label>商品系列<input name="spu" required maxlength="100" list="spu-options" autocomplete="off" value="${sheet ? sheet.spu.name : ''}" placeholder="如 iPhone 14；新系列会自动创建" data-testid="product-spu">
          <datalist id="spu-options"></datalist></label>
        <label class="checkbox"><input type="checkbox" name="on_shelf"${attrIf(!sheet || sheet.on_shelf, 'checked')} data-testid="product-on-shelf">上架销售</label>
        <label class="wide">系列详情<textarea name="spu_detail" rows="4" maxlength="10000" data-testid="product-detail">${sheet ? sheet.spu.detail : ''}</textarea>
          <span class="muted small">同一系列的商品共用这段详情</span></label>
      </div>
      <h2>SKU</h2>
      <p class="muted small">已有 SKU 的颜色和规格不能修改（订单记着它们）；要换颜色或规格，请添加一个新 SKU。</p>
      <div class="table-wrap"><table class="table cards sku-table">
        <thead><tr><th>颜色</th><th>规格</th><th>价格（元）</th><th>库存</th><th class="num">销量</th><th></th></tr></thead>
        <tbody data-testid="sku-rows">${sheet ? sheet.skus.map((s) => skuRow(s)) : skuRow()}</tbody>
      </table></div>
      <div class="actions">
        <button type="button" class="button secondary small" data-testid="add-sku">添加 SKU</button>
      </div>
      <div class="actions form-submit">
        <button type="submit" class="button" data-testid="save-product">${creating ? '创建商品' : '保存'}</button>
        <a class="button secondary" href="#/products">返回列表</a>
      </div>
    </form>
    ${sheet ? html`
      <section class="panel" data-testid="product-images">
        <h2>图片</h2>
        <p class="muted small">每个 SKU 的第一张图是它的首图；商品卡片显示最低价 SKU 的首图。</p>
        ${sheet.skus.map(gallery)}
      </section>` : html`<p class="muted panel">创建商品后即可为每个 SKU 上传图片。</p>`}`);

  const form = $('[data-testid="product-form"]', ctx.view);
  const rows = $('[data-testid="sku-rows"]', form);
  $('[data-testid="add-sku"]', form).addEventListener('click', () => {
    rows.insertAdjacentHTML('beforeend', String(skuRow()));
    $$('[data-testid="sku-row"]', rows).at(-1).querySelector('input').focus();
  });
  rows.addEventListener('click', (event) => {
    const remove = event.target.closest('[data-testid="sku-remove"]');
    if (remove && $$('[data-testid="sku-row"]', rows).length > 1) remove.closest('tr').remove();
  });

  const spuInput = $('[name="spu"]', form);
  const suggest = async () => {
    const category = categories.find((c) => c.slug === form.category.value);
    try {
      const found = await api(`/api/admin/catalog/spus?category_id=${category.id}&q=${enc(spuInput.value.trim())}`);
      $('#spu-options').innerHTML = String(html`${found.map((s) => html`<option value="${s.name}"></option>`)}`);
    } catch (err) {
      if (err.status !== 400) handleError(err);
    }
  };
  spuInput.addEventListener('input', suggest);
  form.category.addEventListener('change', suggest);

  form.addEventListener('submit', (event) => {
    event.preventDefault();
    clearMessages();
    const skus = readSkus(form);
    const bad = skus.find((s) => !/^\d{1,9}(\.\d{1,2})?$/.test(s.price) || !Number.isInteger(s.stock) || s.stock < 0);
    if (!form.name.value.trim() || !spuInput.value.trim()) {
      showError('请填写商品名称和商品系列');
      return;
    }
    if (bad) {
      showError('每个 SKU 都要填写价格（最多两位小数）和库存（非负整数）');
      return;
    }
    const body = {
      name: form.name.value.trim(),
      category: form.category.value,
      spu: spuInput.value.trim(),
      spu_detail: form.spu_detail.value,
      on_shelf: form.on_shelf.checked,
      skus,
    };
    withBusy($('[data-testid="save-product"]', form), async () => {
      if (creating) {
        const created = await post('/api/admin/catalog/products', { ...body, must_be_new: true });
        go(`#/products/${created.id}`, { notice: `商品“${created.name}”已创建，可以上传图片了` });
      } else {
        const saved = await put(`/api/admin/catalog/products/${sheet.id}`, body);
        go(location.hash, { notice: `已保存“${saved.name}”，商城中即时生效` });
      }
    });
  });

  if (sheet) bindGalleries(ctx);
}

function bindGalleries(ctx) {
  for (const section of $$('[data-testid="sku-images"]', ctx.view)) {
    const skuId = Number(section.dataset.skuId);
    const ids = $$('[data-testid="image"]', section).map((li) => Number(li.dataset.imageId));
    const input = $('[data-testid="image-upload"]', section);
    input.addEventListener('change', () => {
      $('.upload-hint', section).textContent = input.files.length ? `已选择 ${input.files.length} 张` : 'PNG、JPEG、GIF 或 WebP，每张不超过 3 MB';
    });
    $('form.upload', section).addEventListener('submit', (event) => {
      event.preventDefault();
      const files = Array.from(input.files || []);
      if (!files.length) {
        showError('请先选择图片');
        return;
      }
      withBusy($('[data-testid="upload-button"]', section), async () => {
        for (const file of files) {
          const body = new FormData();
          body.append('image', file);
          await post(`/api/admin/catalog/skus/${skuId}/images`, body);
        }
        go(location.hash, { notice: `已上传 ${files.length} 张图片` });
      });
    });
    on(section, '[data-move]', 'click', (event, button) => {
      const id = Number(button.closest('[data-image-id]').dataset.imageId);
      const from = ids.indexOf(id);
      const to = from + Number(button.dataset.move);
      const order = [...ids];
      [order[from], order[to]] = [order[to], order[from]];
      withBusy(button, async () => {
        await put(`/api/admin/catalog/skus/${skuId}/image-order`, { ids: order });
        go(location.hash, { notice: to === 0 ? '已设为首图' : '图片顺序已调整' });
      });
    });
    on(section, '[data-delete]', 'click', async (event, button) => {
      const id = button.closest('[data-image-id]').dataset.imageId;
      const ok = await confirmAction({ title: '删除图片', message: '删除后不可恢复。确定删除这张图片？', confirmText: '删除', danger: true });
      if (!ok) return;
      const done = await withBusy(button, () => del(`/api/admin/catalog/skus/${skuId}/images/${id}`));
      if (done !== undefined) go(location.hash, { notice: '图片已删除' });
    });
  }
}
