/* #/login?next= — sign in, then back to where the shopper was going. */

import { post } from '../../shared/api.js';
import { html } from '../../shared/html.js';
import { $ } from '../../shared/dom.js';
import { withBusy } from '../../shared/messages.js';
import { go } from '../../shared/router.js';
import { loadSession, safeNext, state } from '../session.js';

export async function render(ctx) {
  document.title = '登录 - 家电之选';
  const next = safeNext(ctx.query.get('next')) || '#/';
  ctx.render(html`
    <section class="auth-box">
      <h1>登录家电之选</h1>
      ${state.user ? html`<p class="muted">您已登录为 ${state.user.username}，可切换账号。</p>` : ''}
      <form class="form" data-testid="login-form" novalidate>
        <label>用户名<input name="username" autocomplete="username" required data-testid="login-username"></label>
        <label>密码<input name="password" type="password" autocomplete="current-password" required data-testid="login-password"></label>
        <button type="submit" class="button" data-testid="login-submit">登录</button>
        <p class="muted">还没有账号？<a href="#/register">免费注册</a>　<a href="#/password/forgot" data-testid="forgot-link">忘记密码？</a></p>
      </form>
    </section>`);
  const form = $('form', ctx.view);
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    withBusy($('[data-testid="login-submit"]', form), async () => {
      await post('/api/auth/login', {
        username: form.elements.username.value.trim(),
        password: form.elements.password.value,
      });
      await loadSession();
      go(next, { notice: '登录成功' });
    });
  });
  form.elements.username.focus();
}
