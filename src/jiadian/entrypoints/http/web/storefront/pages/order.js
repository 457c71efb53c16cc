/* #/order/{order_id} — an order: its facts and lines; pay, cancel, confirm receipt, review. */

import { api, post } from '../../shared/api.js';
import { html } from '../../shared/html.js';
import { enc, on } from '../../shared/dom.js';
import { formatTime, money, PAY_METHODS } from '../../shared/format.js';
import { showNotice, withBusy } from '../../shared/messages.js';
import { addressText, orderLine, userLayout } from '../components.js';

export async function render(ctx) {
  document.title = '订单详情 - 家电之选';
  const order = await api(`/api/orders/${enc(ctx.params[0])}`);
  renderOrder(ctx, order);
}

function renderOrder(ctx, order) {
  const status = String(order.status);
  const id = enc(order.order_id);
  if (!ctx.render(userLayout('/user/orders', html`
    <section class="panel order-detail" data-testid="order-detail">
      <div class="section-head">
        <h1>订单详情</h1>
        <span class="status big status-${status}" data-testid="order-status">${order.status_label}</span>
      </div>
      <dl class="facts">
        <dt>订单号</dt><dd data-testid="order-no">${order.trade_no}</dd>
        <dt>下单时间</dt><dd>${formatTime(order.created_at)}</dd>
        <dt>支付方式</dt><dd>${PAY_METHODS[order.pay_method] || order.pay_method || '—'}</dd>
        <dt>支付时间</dt><dd>${formatTime(order.paid_at)}</dd>
        <dt>收货地址</dt><dd data-testid="order-address">${addressText(order.address)}</dd>
        <dt>订单备注</dt><dd class="pre">${order.mark || '无'}</dd>
      </dl>
      <h2>商品</h2>
      ${(order.lines || []).map((line) => html`
        <div class="line-with-state">${orderLine(line)}${line.reviewed ? html`<span class="tag">已评价</span>` : ''}</div>`)}
      <div class="totals">
        <p>共 ${order.total_count} 件商品</p>
        <p>商品金额：<span data-testid="order-amount">${money(order.amount)}</span></p>
        <p>运费：<span data-testid="order-freight">${money(order.freight)}</span></p>
        <p class="grand">实付总额：<strong class="price big" data-testid="order-total">${money(order.total)}</strong></p>
      </div>
      <div class="actions">
        ${status === '1' ? html`
          <a class="button" href="#/pay/${id}" data-testid="order-pay-button">去支付</a>
          <button type="button" class="button secondary" data-testid="cancel-order-button">取消订单</button>` : ''}
        ${status === '3' ? html`<button type="button" class="button" data-testid="confirm-receipt-button">确认收货</button>` : ''}
        ${status === '4' ? html`<a class="button" href="#/order/${id}/review" data-testid="review-link">评价商品</a>` : ''}
        <a class="button secondary" href="#/user/orders">返回订单列表</a>
      </div>
    </section>`))) return;
  on(ctx.view, '[data-testid="cancel-order-button"]', 'click', (event, button) => withBusy(button, async () => {
    renderOrder(ctx, await post(`/api/orders/${id}/cancel`));
    showNotice('订单已取消');
  }));
  on(ctx.view, '[data-testid="confirm-receipt-button"]', 'click', (event, button) => withBusy(button, async () => {
    renderOrder(ctx, await post(`/api/orders/${id}/confirm-receipt`));
    showNotice('已确认收货，欢迎评价商品');
  }));
}
