/* #/register — a new account, with the code e-mailed to the shopper. */

import { post } from '../../shared/api.js';
import { html } from '../../shared/html.js';
import { $, on } from '../../shared/dom.js';
import { showError, showNotice, withBusy } from '../../shared/messages.js';
import { go } from '../../shared/router.js';
import { loadSession } from '../session.js';

export async function render(ctx) {
  document.title = '注册 - 家电之选';
  ctx.render(html`
    <section class="auth-box">
      <h1>注册家电之选账号</h1>
      <form class="form" data-testid="register-form" novalidate>
        <label>用户名<input name="username" autocomplete="username" required data-testid="register-username"></label>
        <label>邮箱<input name="email" type="email" autocomplete="email" required data-testid="register-email"></label>
        <label>密码<input name="password" type="password" autocomplete="new-password" required minlength="6" data-testid="register-password"></label>
        <label>确认密码<input name="password2" type="password" autocomplete="new-password" required data-testid="register-password2"></label>
        <label>邮箱验证码
          <span class="input-with-button">
            <input name="code" autocomplete="one-time-code" maxlength="6" required data-testid="register-code">
            <button type="button" class="button secondary" data-testid="register-send-code">获取验证码</button>
          </span>
        </label>
        <button type="submit" class="button" data-testid="register-submit">注册</button>
        <p class="muted">已有账号？<a href="#/login">立即登录</a></p>
      </form>
    </section>`);
  const form = $('form', ctx.view);
  const field = (name) => form.elements[name].value.trim();
  let countdown = null;
  ctx.onLeave(() => clearInterval(countdown));

  on(form, '[data-testid="register-send-code"]', 'click', async (event, button) => {
    const sent = await withBusy(button, async () => (
      (await post('/api/auth/verification-codes', { username: field('username'), email: field('email') })) || {}
    ));
    if (!sent) return;
    const seconds = (value, fallback) => (Number.isFinite(Number(value)) && Number(value) > 0 ? Number(value) : fallback);
    const minutes = Math.max(1, Math.round(seconds(sent.expires_in, 120) / 60));
    showNotice(`验证码已发送至 ${field('email')}，${minutes} 分钟内有效`);
    let left = seconds(sent.resend_after, 60);
    button.disabled = true;
    button.textContent = `${left} 秒后重发`;
    countdown = setInterval(() => {
      left -= 1;
      if (left > 0) { button.textContent = `${left} 秒后重发`; return; }
      clearInterval(countdown);
      button.disabled = false;
      button.textContent = '获取验证码';
    }, 1000);
  });

  form.addEventListener('submit', (event) => {
    event.preventDefault();
    const submit = $('[data-testid="register-submit"]', form);
    withBusy(submit, async () => {
      const password = form.elements.password.value;
      if (password !== form.elements.password2.value) {
        showError('两次输入的密码不一致');
        return;
      }
      const username = field('username');
      await post('/api/auth/register', { username, email: field('email'), password, code: field('code') });
      try {
        await post('/api/auth/login', { username, password });
      } catch {
        go('#/login', { notice: '注册成功，请登录' });
        return;
      }
      await loadSession();
      go('#/', { notice: `注册成功，欢迎您，${username}` });
    });
  });
}
