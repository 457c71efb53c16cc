/* #/pay/{order_id} — pay an order: wallet or Alipay. */

import { api, ApiError, post } from '../../shared/api.js';
import { html, safeUrl } from '../../shared/html.js';
import { enc, on } from '../../shared/dom.js';
import { money } from '../../shared/format.js';
import { clearMessages, handleError, withBusy } from '../../shared/messages.js';
import { go } from '../../shared/router.js';

export async function render(ctx) {
  document.title = '支付订单 - 家电之选';
  const orderId = ctx.params[0];
  let walletError = null;
  const [order, wallet] = await Promise.all([
    api(`/api/orders/${enc(orderId)}`),
    api('/api/me/wallet').catch((err) => { walletError = err; return null; }),
  ]);
  if (String(order.status) !== '1') {
    ctx.render(html`
      <section class="panel pay">
        <h1>订单支付</h1>
        <p>该订单当前状态为 <strong data-testid="order-status">${order.status_label}</strong>，无需支付。</p>
        <a class="button" href="#/order/${enc(order.order_id)}" data-testid="order-link">查看订单</a>
      </section>`);
    return;
  }
  if (!ctx.render(html`
    <section class="panel pay">
      <h1>订单支付</h1>
      <p>订单号：<span data-testid="pay-order-no">${order.trade_no}</span></p>
      <p>应付金额：<strong class="price big" data-testid="pay-total">${money(order.total)}</strong></p>
      <div class="pay-methods">
        <div class="pay-method">
          <h2>钱包余额支付</h2>
          <p class="muted">可用余额：<span data-testid="wallet-balance">${wallet ? money(wallet.balance) : '—'}</span></p>
          <button type="button" class="button" data-testid="pay-wallet-button">使用余额支付</button>
        </div>
        <div class="pay-method">
          <h2>支付宝支付</h2>
          <p class="muted">将跳转到支付宝完成支付</p>
          <button type="button" class="button secondary" data-testid="pay-alipay-button">前往支付宝支付</button>
        </div>
      </div>
      <p><a href="#/order/${enc(order.order_id)}" data-testid="order-link">查看订单详情</a></p>
    </section>`)) return;

  on(ctx.view, '[data-testid="pay-wallet-button"]', 'click', (event, button) => withBusy(button, async () => {
    await post(`/api/orders/${enc(order.order_id)}/payments`, { method: 'wallet' });
    go(`#/pay/${enc(order.order_id)}/success`);
  }));
  on(ctx.view, '[data-testid="pay-alipay-button"]', 'click', (event, button) => payWithAlipay(order, button));
  if (walletError) handleError(walletError);
}

async function payWithAlipay(order, button) {
  clearMessages();
  button.disabled = true;
  try {
    const result = await post(`/api/orders/${enc(order.order_id)}/payments`, { method: 'alipay' });
    const url = safeUrl(result && result.payment_url);
    if (!url) throw new ApiError(0, 'payment_unavailable', '未能获取支付宝支付地址，请稍后再试');
    button.textContent = '正在跳转到支付宝…';
    location.href = url;
  } catch (err) {
    if (err.code === 'payment_unavailable') {
      button.textContent = '支付宝支付暂不可用';
    } else {
      button.disabled = false;
    }
    handleError(err);
  }
}
