/*
 * 轮播图: the home page's banners in their order — upload, move up or down, show or
 * hide, replace the image, delete (after a confirmation). The home page shows the
 * first four shown.
 *
 * Test ids: banners (list), banner (data-banner-id), banner-up, banner-down, banner-toggle,
 * banner-replace, banner-delete, banner-form, banner-name, banner-file, banner-active, banner-upload.
 */

import { api, del, post, put } from '../../shared/api.js';
import { attrIf, html } from '../../shared/html.js';
import { $, on } from '../../shared/dom.js';
import { emptyState, image } from '../../shared/components.js';
import { showError, withBusy } from '../../shared/messages.js';
import { go } from '../../shared/router.js';
import { confirmAction } from '../../shared/dialog.js';
import { pageHead } from '../components.js';

const HOME_BANNERS = 4;

export async function render(ctx) {
  const banners = await api('/api/admin/catalog/banners');
  const shownIds = banners.filter((b) => b.active).slice(0, HOME_BANNERS).map((b) => b.id);
  ctx.render(html`
    ${pageHead('轮播图', html`<span class="muted">首页显示前 ${HOME_BANNERS} 张已显示的轮播图</span>`)}
    <section class="panel">
      ${banners.length ? html`<ol class="banner-list" data-testid="banners">${banners.map((b, index) => html`
        <li class="banner-item${b.active ? '' : ' off'}" data-testid="banner" data-banner-id="${b.id}">
          ${image(b.image_url, b.name, 'banner-img')}
          <div class="banner-info">
            <strong>${b.name}</strong>
            <span class="small">${b.active
              ? (shownIds.includes(b.id) ? html`<span class="status-tag ok">首页显示中</span>` : html`<span class="status-tag">已显示（排在第 ${HOME_BANNERS} 张之后）</span>`)
              : html`<span class="status-tag off">已隐藏</span>`}</span>
          </div>
          <div class="banner-actions">
            <button type="button" class="button small secondary" data-move="-1" aria-label="上移"${attrIf(index === 0, 'disabled')} data-testid="banner-up">上移</button>
            <button type="button" class="button small secondary" data-move="1" aria-label="下移"${attrIf(index === banners.length - 1, 'disabled')} data-testid="banner-down">下移</button>
            <button type="button" class="button small secondary" data-toggle="${b.active ? 'deactivate' : 'activate'}" data-testid="banner-toggle">${b.active ? '隐藏' : '显示'}</button>
            <label class="button small secondary file-pick">更换图片<input type="file" accept="image/png,image/jpeg,image/gif,image/webp" class="visually-hidden" data-testid="banner-replace"></label>
            <button type="button" class="button small secondary danger" data-delete data-testid="banner-delete">删除</button>
          </div>
        </li>`)}</ol>` : emptyState('还没有轮播图')}
    </section>
    <section class="panel">
      <h2>上传轮播图</h2>
      <form class="form form-inline" data-testid="banner-form">
        <label>名称<input name="name" required maxlength="50" data-testid="banner-name"></label>
        <label>图片<input type="file" name="image" accept="image/png,image/jpeg,image/gif,image/webp" required data-testid="banner-file"></label>
        <label class="checkbox"><input type="checkbox" name="active" checked data-testid="banner-active">立即显示</label>
        <button type="submit" class="button" data-testid="banner-upload">上传</button>
      </form>
      <p class="muted small">建议尺寸 1200 × 420，不超过 3 MB；新轮播图排在最后。</p>
    </section>`);

  const ids = banners.map((b) => b.id);
  const idOf = (el) => Number(el.closest('[data-banner-id]').dataset.bannerId);
  on(ctx.view, '[data-move]', 'click', (event, button) => {
    const from = ids.indexOf(idOf(button));
    const to = from + Number(button.dataset.move);
    const order = [...ids];
    [order[from], order[to]] = [order[to], order[from]];
    withBusy(button, async () => {
      await put('/api/admin/catalog/banner-order', { ids: order });
      go(location.hash, { notice: '轮播图顺序已调整' });
    });
  });
  on(ctx.view, '[data-toggle]', 'click', (event, button) => withBusy(button, async () => {
    const banner = await post(`/api/admin/catalog/banners/${idOf(button)}/${button.dataset.toggle}`);
    go(location.hash, { notice: `“${banner.name}”已${banner.active ? '显示' : '隐藏'}` });
  }));
  on(ctx.view, '[data-testid="banner-replace"]', 'change', (event, input) => {
    if (!input.files.length) return;
    const body = new FormData();
    body.append('image', input.files[0]);
    withBusy(input, async () => {
      await put(`/api/admin/catalog/banners/${idOf(input)}/image`, body);
      go(location.hash, { notice: '图片已更换' });
    });
  });
  on(ctx.view, '[data-delete]', 'click', async (event, button) => {
    const name = $('strong', button.closest('[data-banner-id]')).textContent;
    const ok = await confirmAction({ title: '删除轮播图', message: `删除“${name}”及其图片？此操作不可恢复。`, confirmText: '删除', danger: true });
    if (!ok) return;
    const done = await withBusy(button, () => del(`/api/admin/catalog/banners/${idOf(button)}`));
    if (done !== undefined) go(location.hash, { notice: `“${name}”已删除` });
  });
  const form = $('[data-testid="banner-form"]', ctx.view);
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    if (!form.image.files.length || !form.name.value.trim()) {
      showError('请填写名称并选择图片');
      return;
    }
    const body = new FormData();
    body.append('name', form.name.value.trim());
    body.append('image', form.image.files[0]);
    body.append('active', form.active.checked ? 'true' : 'false');
    body.append('position', String(banners.length ? Math.max(...banners.map((b) => b.position)) + 1 : 0));
    withBusy($('[data-testid="banner-upload"]', form), async () => {
      const banner = await post('/api/admin/catalog/banners', body);
      go(location.hash, { notice: `轮播图“${banner.name}”已上传` });
    });
  });
}
