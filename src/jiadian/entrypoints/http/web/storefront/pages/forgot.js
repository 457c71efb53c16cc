/* #/password/forgot?email= — a shopper who forgot the password asks for a code by e-mail. */

import { post } from '../../shared/api.js';
import { html } from '../../shared/html.js';
import { $ } from '../../shared/dom.js';
import { showError, withBusy } from '../../shared/messages.js';
import { go } from '../../shared/router.js';

export async function render(ctx) {
  document.title = '找回密码 - 家电之选';
  ctx.render(html`
    <section class="auth-box">
      <h1>找回密码</h1>
      <p class="muted">请输入注册时填写的邮箱，我们会发送一个验证码，用它设置新密码。</p>
      <form class="form" data-testid="forgot-form" novalidate>
        <label>邮箱<input name="email" type="email" autocomplete="email" required
               value="${ctx.query.get('email') || ''}" data-testid="forgot-email"></label>
        <button type="submit" class="button" data-testid="forgot-submit">发送验证码</button>
        <p class="muted"><a href="#/password/reset">已有验证码？</a>　<a href="#/login">返回登录</a></p>
      </form>
    </section>`);
  const form = $('form', ctx.view);
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    withBusy($('[data-testid="forgot-submit"]', form), async () => {
      const email = form.elements.email.value.trim();
      if (!email) {
        showError('请输入邮箱');
        return;
      }
      const sent = (await post('/api/auth/password-reset', { email })) || {};
      const minutes = Math.max(1, Math.round((Number(sent.expires_in) || 600) / 60));
      go(`#/password/reset?email=${encodeURIComponent(email)}`, {
        notice: `如果 ${email} 是已注册的邮箱，验证码已发出，${minutes} 分钟内有效`,
      });
    });
  });
  form.elements.email.focus();
}
