/*
 * The console's sign-in page — what anyone but an operator sees at any address.
 * A signed-in shopper is told the account has no access, and can sign out.
 *
 * Test ids: console-login-form, login-username, login-password, login-submit,
 * not-operator (a shopper's notice), signout-button.
 */

import { post } from '../../shared/api.js';
import { html } from '../../shared/html.js';
import { $ } from '../../shared/dom.js';
import { showError, withBusy } from '../../shared/messages.js';
import { go } from '../../shared/router.js';
import { isOperator, loadSession, logout, state } from '../session.js';

const safeNext = (next) => (typeof next === 'string' && next.startsWith('#/') && !next.startsWith('#/login') ? next : '#/');

export async function render(ctx) {
  if (isOperator()) {
    go(safeNext(ctx.query.get('next')));
    return;
  }
  document.title = '登录 · 运营后台 · 家电之选';
  const shopper = state.user;
  ctx.render(html`
    <div class="auth-box console-auth">
      <h1 data-testid="page-title">运营后台登录</h1>
      ${shopper
        ? html`<p class="message message-error" data-testid="not-operator">当前账号（${shopper.username}）没有运营权限，请使用管理员账号登录。</p>
               <p><button type="button" class="button secondary" data-testid="signout-button">退出当前账号</button></p>`
        : html`<p class="muted">仅限商城管理员。首个管理员账号可在服务器上创建：<code>jiadian users create 用户名 --email 邮箱 --admin</code></p>`}
      <form class="form" data-testid="console-login-form">
        <label>用户名<input name="username" autocomplete="username" required maxlength="30" data-testid="login-username"></label>
        <label>密码<input name="password" type="password" autocomplete="current-password" required maxlength="128" data-testid="login-password"></label>
        <button type="submit" class="button" data-testid="login-submit">登录</button>
      </form>
      <p class="small"><a class="text-link" href="/">返回商城</a></p>
    </div>`);
  const signout = $('[data-testid="signout-button"]', ctx.view);
  if (signout) signout.addEventListener('click', () => withBusy(signout, logout));
  const form = $('form', ctx.view);
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    const data = new FormData(form);
    withBusy($('[data-testid="login-submit"]', form), async () => {
      await post('/api/auth/login', { username: String(data.get('username')).trim(), password: String(data.get('password')) });
      await loadSession();
      if (!isOperator()) {
        showError('该账号没有运营权限');
        await render(ctx);
        return;
      }
      go(safeNext(ctx.query.get('next')), { notice: `欢迎，${state.user.username}` });
    });
  });
  const first = $('[data-testid="login-username"]', ctx.view);
  if (first) first.focus();
}
