/* #/password/reset?email= — set a new password with the code e-mailed to the shopper. */

import { post } from '../../shared/api.js';
import { html } from '../../shared/html.js';
import { $ } from '../../shared/dom.js';
import { showError, withBusy } from '../../shared/messages.js';
import { go } from '../../shared/router.js';
import { loadSession } from '../session.js';

export async function render(ctx) {
  document.title = '重置密码 - 家电之选';
  const email = ctx.query.get('email') || '';
  ctx.render(html`
    <section class="auth-box">
      <h1>重置密码</h1>
      <p class="muted">验证码邮件中列出了使用该邮箱的账号，请填写要重置的账号。重置后，该账号在所有设备上的登录都会退出。</p>
      <form class="form" data-testid="reset-form" novalidate>
        <label>邮箱<input name="email" type="email" autocomplete="email" required value="${email}" data-testid="reset-email"></label>
        <label>账号（用户名）<input name="username" autocomplete="username" required data-testid="reset-username"></label>
        <label>邮箱验证码<input name="code" autocomplete="one-time-code" maxlength="6" required data-testid="reset-code"></label>
        <label>新密码<input name="password" type="password" autocomplete="new-password" required minlength="6" data-testid="reset-password"></label>
        <label>确认新密码<input name="password2" type="password" autocomplete="new-password" required data-testid="reset-password2"></label>
        <button type="submit" class="button" data-testid="reset-submit">重置密码</button>
        <p class="muted"><a href="#/password/forgot${email ? `?email=${encodeURIComponent(email)}` : ''}" data-testid="reset-resend">重新获取验证码</a>　<a href="#/login">返回登录</a></p>
      </form>
    </section>`);
  const form = $('form', ctx.view);
  const field = (name) => form.elements[name].value.trim();
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    withBusy($('[data-testid="reset-submit"]', form), async () => {
      const password = form.elements.password.value;
      if (password !== form.elements.password2.value) {
        showError('两次输入的密码不一致');
        return;
      }
      await post('/api/auth/password-reset/confirm', {
        email: field('email'), username: field('username'), code: field('code'), password,
      });
      await loadSession(); // a session of that account in this browser has ended too
      go(`#/login?next=${encodeURIComponent('#/user')}`, { notice: '密码已重置，请用新密码登录' });
    });
  });
  (email ? form.elements.username : form.elements.email).focus();
}
