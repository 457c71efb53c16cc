/* #/order/{order_id} — an order: its facts and lines; pay, cancel, ask for a refund, confirm receipt,
 * review; and the refund's state when there is one. */

import { api, post } from '../../shared/api.js';
import { html } from '../../shared/html.js';
import { $, enc, on } from '../../shared/dom.js';
import { formatTime, money, PAY_METHODS } from '../../shared/format.js';
import { showNotice, withBusy } from '../../shared/messages.js';
import { addressText, orderLine, userLayout } from '../components.js';

// A paid order may have a refund (or a request, refused or not); others have none to ask about.
const MAY_HAVE_REFUND = new Set(['2', 'refund_requested', 'refunded']);
const REFUND_WAYS = { wallet: '退回钱包余额', alipay: '原路退回支付宝' };

export async function render(ctx) {
  document.title = '订单详情 - 家电之选';
  const order = await api(`/api/orders/${enc(ctx.params[0])}`);
  renderOrder(ctx, order, await refundOf(order));
}

async function refundOf(order) {
  if (!MAY_HAVE_REFUND.has(String(order.status))) return null;
  try {
    return await api(`/api/orders/${enc(order.order_id)}/refund`);
  } catch (err) {
    if (err.status === 404) return null;
    throw err;
  }
}

function refundPanel(refund) {
  return html`
    <section class="refund-box refund-${refund.state}" data-testid="refund-state" data-state="${refund.state}">
      <h2>退款</h2>
      <dl class="facts">
        <dt>退款状态</dt><dd><strong data-testid="refund-state-label">${refund.state_label}</strong></dd>
        <dt>退款金额</dt><dd class="price">${money(refund.amount)}</dd>
        <dt>退款方式</dt><dd>${REFUND_WAYS[refund.method] || refund.method}</dd>
        <dt>申请原因</dt><dd class="pre">${refund.reason || '未填写'}</dd>
        ${refund.answer ? html`<dt>商家答复</dt><dd class="pre" data-testid="refund-answer">${refund.answer}</dd>` : ''}
        <dt>申请时间</dt><dd>${formatTime(refund.created_at)}</dd>
        ${refund.refunded_at ? html`<dt>退款时间</dt><dd>${formatTime(refund.refunded_at)}</dd>` : ''}
      </dl>
      ${refund.state === 'pending' ? html`<p class="muted small">款项正在退回，通常几分钟内到账。</p>` : ''}
    </section>`;
}

function refundForm() {
  return html`
    <form class="form refund-form" data-testid="refund-form" hidden>
      <label>退款原因（选填）<textarea name="reason" rows="3" maxlength="255" data-testid="refund-reason"
        placeholder="例如：拍错了规格、不想要了"></textarea></label>
      <p class="muted small">退款申请提交后，订单将暂停发货，等待商家处理；同意后款项按原支付方式退回。</p>
      <div class="actions">
        <button type="submit" class="button" data-testid="refund-submit">提交退款申请</button>
        <button type="button" class="button secondary" data-testid="refund-cancel">暂不申请</button>
      </div>
    </form>`;
}

function renderOrder(ctx, order, refund) {
  const status = String(order.status);
  const id = enc(order.order_id);
  const mayAsk = status === '2' && !refund;
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
      ${refund ? refundPanel(refund) : ''}
      ${mayAsk ? refundForm() : ''}
      <div class="actions">
        ${status === '1' ? html`
          <a class="button" href="#/pay/${id}" data-testid="order-pay-button">去支付</a>
          <button type="button" class="button secondary" data-testid="cancel-order-button">取消订单</button>` : ''}
        ${mayAsk ? html`<button type="button" class="button secondary" data-testid="refund-request-button">申请退款</button>` : ''}
        ${status === '3' ? html`<button type="button" class="button" data-testid="confirm-receipt-button">确认收货</button>` : ''}
        ${status === '4' ? html`<a class="button" href="#/order/${id}/review" data-testid="review-link">评价商品</a>` : ''}
        <a class="button secondary" href="#/user/orders">返回订单列表</a>
      </div>
    </section>`))) return;
  on(ctx.view, '[data-testid="cancel-order-button"]', 'click', (event, button) => withBusy(button, async () => {
    renderOrder(ctx, await post(`/api/orders/${id}/cancel`), null);
    showNotice('订单已取消');
  }));
  on(ctx.view, '[data-testid="confirm-receipt-button"]', 'click', (event, button) => withBusy(button, async () => {
    renderOrder(ctx, await post(`/api/orders/${id}/confirm-receipt`), null);
    showNotice('已确认收货，欢迎评价商品');
  }));
  bindRefundForm(ctx, id);
}

function bindRefundForm(ctx, id) {
  const form = $('[data-testid="refund-form"]', ctx.view);
  if (!form) return;
  const opener = $('[data-testid="refund-request-button"]', ctx.view);
  opener.addEventListener('click', () => {
    form.hidden = false;
    opener.hidden = true;
    form.elements.reason.focus();
  });
  $('[data-testid="refund-cancel"]', form).addEventListener('click', () => {
    form.hidden = true;
    opener.hidden = false;
  });
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    withBusy($('[data-testid="refund-submit"]', form), async () => {
      const refund = await post(`/api/orders/${id}/refund`, { reason: form.elements.reason.value.trim() });
      renderOrder(ctx, await api(`/api/orders/${id}`), refund);
      showNotice('退款申请已提交，请等待商家处理');
    });
  });
}
