/*
 * #/pay/{order_id}/test-mode — where "支付宝" leads while the shop takes no real
 * payments (the payment simulator): it says so in plain words, and offers the
 * ways that do work. Nothing about how the shop is set up.
 */

import { html } from '../../shared/html.js';
import { enc } from '../../shared/dom.js';
import { money } from '../../shared/format.js';
import { loadOrder } from '../components.js';

export async function render(ctx) {
  document.title = '测试模式 - 家电之选';
  const order = await loadOrder(ctx);
  if (!order) return;
  const unpaid = String(order.status) === '1';
  ctx.render(html`
    <section class="panel notice-page" data-testid="test-mode">
      <p class="badge-test" aria-hidden="true">测试模式</p>
      <h1>本店正在测试，暂不支持支付宝付款</h1>
      <p>家电之选目前处于测试阶段：在这里不会真正扣款，也不会跳转到支付宝。</p>
      <p>您的订单（订单号 <span data-testid="test-mode-order">${order.trade_no}</span>，应付 <strong class="price">${money(order.total)}</strong>）${unpaid ? '仍在等待支付，我们没有向您收取任何费用。' : html`当前状态为“${order.status_label}”。`}</p>
      ${unpaid ? html`<p>您可以回到支付页面改用钱包余额支付，或者稍后再来。</p>` : ''}
      <div class="actions">
        ${unpaid ? html`<a class="button" href="#/pay/${enc(order.order_id)}" data-testid="back-to-pay">返回支付页面</a>` : ''}
        <a class="button secondary" href="#/order/${enc(order.order_id)}" data-testid="order-link">查看订单</a>
        <a class="button secondary" href="#/">继续购物</a>
      </div>
    </section>`);
}
