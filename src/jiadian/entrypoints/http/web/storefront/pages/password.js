/* #/user/password — change the password (the current one required); other devices are signed out. */

import { put } from '../../shared/api.js';
import { html } from '../../shared/html.js';
import { $ } from '../../shared/dom.js';
import { showError, showNotice, withBusy } from '../../shared/messages.js';
import { userLayout } from '../components.js';

export async function render(ctx) {
  document.title = '修改密码 - 家电之选';
  if (!ctx.render(userLayout('/user/password', html`
    <section class="panel">
      <h1>修改密码</h1>
      <form class="form narrow" data-testid="password-form" novalidate>
        <label>当前密码<input name="current" type="password" autocomplete="current-password" required data-testid="password-current"></label>
        <label>新密码<input name="password" type="password" autocomplete="new-password" required minlength="6" data-testid="password-new"></label>
        <label>确认新密码<input name="password2" type="password" autocomplete="new-password" required data-testid="password-new2"></label>
        <p class="muted small">修改后，您在其他设备上的登录都会退出，本设备保持登录。</p>
        <button type="submit" class="button" data-testid="password-submit">修改密码</button>
        <p class="muted small">忘记了当前密码？<a class="text-link" href="#/password/forgot">通过邮箱重置</a></p>
      </form>
    </section>`))) return;
  $('.user-menu a.active', ctx.view).scrollIntoView({ block: 'nearest', inline: 'nearest' }); // the last item, on phones
  const form = $('form', ctx.view);
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    withBusy($('[data-testid="password-submit"]', form), async () => {
      const password = form.elements.password.value;
      if (password !== form.elements.password2.value) {
        showError('两次输入的新密码不一致');
        return;
      }
      await put('/api/me/password', { current_password: form.elements.current.value, new_password: password });
      form.reset();
      showNotice('密码已修改，其他设备上的登录已退出');
    });
  });
}
