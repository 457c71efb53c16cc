/* #/pay/{order_id}/success — the payment's result. */

import { api } from '../../shared/api.js';
import { html } from '../../shared/html.js';
import { enc, on } from '../../shared/dom.js';
import { money, PAY_METHODS } from '../../shared/format.js';
import { route } from '../../shared/router.js';

export async function render(ctx) {
  document.title = '支付成功 - 家电之选';
  const order = await api(`/api/orders/${enc(ctx.params[0])}`);
  const pending = String(order.status) === '1';
  if (!ctx.render(html`
    <section class="panel pay-result">
      ${pending ? html`
        <h1 data-testid="payment-pending">支付结果确认中</h1>
        <p>我们尚未收到支付结果，请稍后刷新查看。</p>
        <button type="button" class="button secondary" data-testid="retry-button">刷新</button>`
      : html`
        <h1 class="success" data-testid="payment-success">支付成功</h1>
        <p>订单状态：<strong data-testid="order-status">${order.status_label}</strong></p>`}
      <p>订单号：${order.trade_no}</p>
      <p>订单金额：<strong class="price">${money(order.total)}</strong></p>
      <p>支付方式：${PAY_METHODS[order.pay_method] || order.pay_method || '—'}</p>
      <div class="actions">
        <a class="button" href="#/order/${enc(order.order_id)}" data-testid="order-link">查看订单</a>
        <a class="button secondary" href="#/">继续购物</a>
      </div>
    </section>`)) return;
  on(ctx.view, '[data-testid="retry-button"]', 'click', () => route());
}
