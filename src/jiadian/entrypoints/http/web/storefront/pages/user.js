/* #/user — the user centre: profile, avatar, browsing history. */

import { api, patch } from '../../shared/api.js';
import { html } from '../../shared/html.js';
import { $ } from '../../shared/dom.js';
import { emptyState, image } from '../../shared/components.js';
import { showError, showNotice, withBusy } from '../../shared/messages.js';
import { productGrid, userLayout } from '../components.js';

export async function render(ctx) {
  document.title = '个人中心 - 家电之选';
  const [me, history] = await Promise.all([api('/api/me'), api('/api/me/history')]);
  if (!ctx.render(userLayout('/user', html`
    <section class="panel">
      <h1>个人信息</h1>
      <div class="profile">
        <div class="avatar-box">
          ${image(me.avatar_url, `${me.username} 的头像`, 'avatar', 'avatar-image')}
          <form class="avatar-form" id="avatar-form">
            <label class="button secondary small file-pick">选择图片<input type="file" name="image" accept="image/*"
                   class="visually-hidden" data-testid="avatar-input"></label>
            <span class="muted small file-name" id="avatar-file-name" aria-live="polite">未选择图片</span>
            <button type="submit" class="button small" data-testid="avatar-upload">上传头像</button>
            <p class="muted small">支持 JPG、PNG 等图片，不超过 3 MiB</p>
          </form>
        </div>
        <form class="form profile-form" id="profile-form" data-testid="profile-form" novalidate>
          <label>用户名<input name="username" value="${me.username}" readonly data-testid="profile-username"></label>
          <label>邮箱<input name="email" type="email" value="${me.email ?? ''}" data-testid="profile-email"></label>
          <label>手机号<input name="phone" type="tel" inputmode="numeric" maxlength="11" value="${me.phone ?? ''}" data-testid="profile-phone"></label>
          <label>个人简介<textarea name="introduce" rows="3" data-testid="profile-introduce">${me.introduce ?? ''}</textarea></label>
          <button type="submit" class="button" data-testid="profile-save">保存修改</button>
        </form>
      </div>
    </section>
    <section class="panel">
      <h2>最近浏览</h2>
      <div data-testid="history-list">${history.length ? productGrid(history) : emptyState('暂无浏览记录')}</div>
    </section>`))) return;
  bindProfileForm(ctx, me);
  bindAvatarForm(ctx);
}

function bindProfileForm(ctx, me) {
  const form = $('#profile-form', ctx.view);
  const saved = { email: me.email ?? '', phone: me.phone ?? '', introduce: me.introduce ?? '' };
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    withBusy($('[data-testid="profile-save"]', form), async () => {
      const changes = {};
      for (const key of Object.keys(saved)) {
        const value = form.elements[key].value.trim();
        if (value !== saved[key]) changes[key] = value;
      }
      if (!Object.keys(changes).length) {
        showNotice('没有需要保存的修改');
        return;
      }
      const profile = await patch('/api/me', changes);
      for (const key of Object.keys(saved)) {
        saved[key] = profile && profile[key] !== undefined ? (profile[key] ?? '') : (changes[key] ?? saved[key]);
        form.elements[key].value = saved[key];
      }
      showNotice('个人信息已保存');
    });
  });
}

function bindAvatarForm(ctx) {
  const form = $('#avatar-form', ctx.view);
  const fileName = $('#avatar-file-name', form);
  const showFileName = () => {
    const file = form.elements.image.files[0];
    fileName.textContent = file ? file.name : '未选择图片';
  };
  form.elements.image.addEventListener('change', showFileName);
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    withBusy($('[data-testid="avatar-upload"]', form), async () => {
      const file = form.elements.image.files[0];
      if (!file) {
        showError('请先选择一张图片');
        return;
      }
      const body = new FormData();
      body.append('image', file);
      const result = await api('/api/me/avatar', { method: 'PUT', body });
      const box = $('.avatar-box', ctx.view);
      const old = $('[data-testid="avatar-image"]', box);
      const holder = document.createElement('div');
      holder.innerHTML = String(image(result && result.avatar_url, '我的头像', 'avatar', 'avatar-image'));
      old.replaceWith(holder.firstElementChild);
      form.reset();
      showFileName();
      showNotice('头像已更新');
    });
  });
}
