/*
 * #/order/{order_id} — an order: where it stands (a timeline from placing to
 * review — or to its cancelling, or through a refund), its facts and lines;
 * pay, cancel (asked first), ask for a refund, confirm receipt (asked first),
 * review, buy again; and the refund's state when there is one.
 */

import { api, post } from '../../shared/api.js';
import { attrIf, html } from '../../shared/html.js';
import { $, enc, on } from '../../shared/dom.js';
import { confirmAction } from '../../shared/components.js';
import { formatShortTime, formatTime, money, PAY_METHODS } from '../../shared/format.js';
import { showNotice, withBusy } from '../../shared/messages.js';
import { go } from '../../shared/router.js';
import { addressText, loadOrder, orderLine, userLayout } from '../components.js';
import { mergeMessage } from '../guest-cart.js';
import { refreshCartBadge } from '../session.js';

// A paid order may have a refund (or a request, refused or not); others have none to ask about.
const MAY_HAVE_REFUND = new Set(['2', 'refund_requested', 'refunded']);
const REFUND_WAYS = { wallet: '退回钱包余额', alipay: '原路退回支付宝' };

const CANCELLED_BY = {
  buyer: '您取消了订单',
  expired: '超时未支付，订单已自动取消',
  operator: '商城取消了订单',
};

/**
 * The order's steps, each {label, at, state: done | current | todo | cancelled, note}. The main flow
 * is placed → paid → shipped → received → reviewed; a cancelled order ends after placing; an order in
 * a refund leaves the main flow after its payment for the refund's own steps.
 */
export function timeline(order, refund = null) {
  const status = String(order.status);
  if (status === 'cancelled') {
    return [
      { label: '提交订单', at: order.created_at, state: 'done' },
      { label: '已取消', at: order.cancelled_at, state: 'cancelled', note: CANCELLED_BY[order.cancel_reason] || '' },
    ];
  }
  const steps = [
    { label: '提交订单', at: order.created_at },
    { label: '付款', at: order.paid_at, waiting: '等待付款' },
    { label: '发货', at: order.shipped_at, waiting: '等待发货' },
    { label: '确认收货', at: order.received_at, waiting: '等待收货' },
    { label: '评价', at: order.completed_at, waiting: '等待评价' },
  ];
  const inRefund = refund && refund.state !== 'refused';
  const shown = inRefund ? steps.slice(0, 2) : steps;
  const reached = shown.filter((step) => step.at).length;
  return [
    ...shown.map((step, i) => ({
      label: i < reached ? step.label : step.waiting || step.label,
      at: step.at,
      state: i < reached ? 'done' : (i === reached && !inRefund ? 'current' : 'todo'),
      note: i === reached && i === 1 && order.pay_by ? `请在 ${formatTime(order.pay_by)} 前付款` : '',
    })),
    ...(inRefund ? refundSteps(refund) : []),
  ];
}

/** A refund's steps: asked for by the buyer (or started by the shop), then on its way, then done. */
function refundSteps(refund) {
  const asked = refund.reason || refund.state === 'requested'
    ? { label: '申请退款', at: refund.created_at, state: 'done' }
    : { label: '商家退款', at: refund.created_at, state: 'done' };
  const last = {
    requested: { label: '等待商家处理', state: 'current' },
    pending: { label: '退款处理中', at: refund.decided_at, state: 'current', note: '款项正在退回' },
    refunded: { label: '已退款', at: refund.refunded_at, state: 'done', note: REFUND_WAYS[refund.method] || '' },
    failed: { label: '退款失败', at: refund.decided_at, state: 'current', note: '商家正在重新处理' },
  }[refund.state];
  return last ? [asked, last] : [asked];
}

const STEP_STATE = { done: '已完成', current: '进行中', todo: '未开始', cancelled: '已取消' };

function timelineView(order, refund) {
  return html`
    <ol class="timeline" aria-label="订单进度" data-testid="order-timeline">
      ${timeline(order, refund).map((step) => html`
        <li class="step step-${step.state}" data-testid="timeline-step" data-state="${step.state}"${attrIf(step.state === 'current', 'aria-current="step"')}>
          <span class="step-dot" aria-hidden="true"></span>
          <span class="step-label">${step.label}<span class="visually-hidden">（${STEP_STATE[step.state]}）</span></span>
          ${step.at ? html`<time class="step-time" datetime="${step.at}">${formatShortTime(step.at)}</time>` : ''}
          ${step.note ? html`<span class="step-note">${step.note}</span>` : ''}
        </li>`)}
    </ol>`;
}

export async function render(ctx) {
  document.title = '订单详情 - 家电之选';
  const order = await loadOrder(ctx);
  if (order) renderOrder(ctx, order, await refundOf(order));
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
      ${timelineView(order, refund)}
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
        ${status !== '1' ? html`<button type="button" class="button secondary" data-testid="buy-again-button">再次购买</button>` : ''}
        <a class="button secondary" href="#/user/orders">返回订单列表</a>
      </div>
    </section>`))) return;
  /** An action that cannot be undone: asked first, then sent; the order drawn again as it now stands. */
  const afterAsking = (question, action, done) => async (event, button) => {
    if (!(await confirmAction(question))) return;
    await withBusy(button, async () => {
      renderOrder(ctx, await post(`/api/orders/${id}/${action}`), null);
      showNotice(done);
    });
  };
  on(ctx.view, '[data-testid="cancel-order-button"]', 'click', afterAsking({
    title: '取消这个订单？',
    text: '取消后订单不能恢复，商品会退回库存；想要的话需要重新下单。',
    confirm: '取消订单',
    cancel: '暂不取消',
  }, 'cancel', '订单已取消'));
  on(ctx.view, '[data-testid="confirm-receipt-button"]', 'click', afterAsking({
    title: '确认已经收到商品？',
    text: '请在收到并检查商品后再确认。确认后订单完成收货，不能撤回。',
    confirm: '确认收货',
    cancel: '还没收到',
  }, 'confirm-receipt', '已确认收货，欢迎评价商品'));
  on(ctx.view, '[data-testid="buy-again-button"]', 'click', (event, button) => withBusy(button, async () => {
    const lines = (order.lines || []).map((line) => ({ sku_id: line.sku_id, count: line.count }));
    const result = await post('/api/cart/merge', { lines });
    await refreshCartBadge();
    go('#/cart', { notice: mergeMessage(result, '这个订单的') });
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
