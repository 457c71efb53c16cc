/*
 * An order: its lines, address, buyer, payments (and money kept for a refund), its
 * history — each step with who took it — and the operators' changes of it. Ship or
 * cancel after a confirmation; with the payment simulator, mark an unpaid order paid.
 *
 * Refund a paid, unshipped order, or decide its buyer's request (approve, refuse with an answer).
 *
 * Test ids: order-detail, order-status, order-no, order-trade-no, order-buyer, order-address,
 * order-lines, order-total, order-history, history-step (data-step), order-payments, order-refunds,
 * ship-button, cancel-button, refund-order-button, approve-refund, refuse-refund, simulate-pay-button,
 * order-audit.
 */

import { api, post } from '../../shared/api.js';
import { html } from '../../shared/html.js';
import { $, enc, on } from '../../shared/dom.js';
import { withBusy } from '../../shared/messages.js';
import { go } from '../../shared/router.js';
import { askText, confirmAction } from '../../shared/dialog.js';
import { PAY_METHODS, specs } from '../../shared/format.js';
import { image } from '../../shared/components.js';
import { state } from '../session.js';
import {
  ACTION, CANCEL_REASON, REFUND_METHOD, REFUND_ORIGIN, STEP, changes, pageHead, refundTag, stateTag, statusTag, table,
  when, yuan,
} from '../components.js';
import { shipOrCancel } from './orders.js';
import { decideRefund, refundActions } from './refunds.js';

function address(a) {
  return `${a.recipient} ${a.phone} ${a.province}${a.city}${a.county}${a.detail}`;
}

function step(s) {
  const notes = { paid: PAY_METHODS, cancelled: CANCEL_REASON, refund_decided: REFUND_METHOD, refunded: REFUND_METHOD };
  const note = notes[s.step] ? notes[s.step][s.note] || s.note : s.note;
  return html`
    <li data-testid="history-step" data-step="${s.step}">
      <span class="step-name">${STEP[s.step] || s.step}</span>
      <span class="muted">${when(s.at)}</span>
      <span>${s.by ? s.by : html`<span class="muted">系统</span>`}${note ? html` · ${note}` : ''}</span>
    </li>`;
}

export async function render(ctx) {
  const [orderId] = ctx.params;
  const detail = await api(`/api/admin/orders/${enc(orderId)}`);
  const o = detail.order;
  const simulator = state.settings && state.settings.payment_gateway === 'simulator';
  const requested = detail.refunds.find((r) => r.state === 'requested' && r.subject === `order:${o.order_id}`);
  document.title = `订单 ${o.order_id} · 运营后台`;
  ctx.render(html`
    <p class="breadcrumb"><a href="#/orders">订单</a> › ${o.order_id}</p>
    ${pageHead(html`订单 <span class="mono">${o.order_id}</span>`, statusTag(o.status, o.status_label))}
    <div class="detail-grid" data-testid="order-detail">
      <section class="panel">
        <h2>订单信息</h2>
        <dl class="facts">
          <dt>订单号</dt><dd class="mono" data-testid="order-no">${o.order_id}</dd>
          <dt>交易号</dt><dd class="mono" data-testid="order-trade-no">${o.trade_no}</dd>
          <dt>买家</dt><dd data-testid="order-buyer">${detail.buyer
            ? html`<a class="text-link" href="#/users/${detail.buyer.id}">${detail.buyer.username}</a> <span class="muted">${detail.buyer.email}</span>`
            : '—'}</dd>
          <dt>下单时间</dt><dd>${when(o.created_at)}</dd>
          <dt>支付方式</dt><dd>${PAY_METHODS[o.pay_method] || '未支付'}</dd>
          <dt>收货地址</dt><dd data-testid="order-address">${address(o.address)}</dd>
          <dt>备注</dt><dd>${o.mark || html`<span class="muted">无</span>`}</dd>
        </dl>
        <div class="actions">
          ${detail.can_ship ? html`<button type="button" class="button" data-action="ship" data-testid="ship-button">发货</button>` : ''}
          ${detail.can_cancel ? html`<button type="button" class="button secondary" data-action="cancel" data-testid="cancel-button">取消订单</button>` : ''}
          ${detail.can_refund && !requested
            ? html`<button type="button" class="button secondary" data-testid="refund-order-button">退款</button>` : ''}
          ${requested ? refundActions(requested) : ''}
          ${detail.can_cancel && simulator
            ? html`<button type="button" class="button secondary" data-testid="simulate-pay-button" title="支付模拟器：不发生真实支付">模拟买家已支付</button>`
            : ''}
        </div>
      </section>
      <section class="panel">
        <h2>状态记录</h2>
        <ol class="timeline" data-testid="order-history">${detail.history.map(step)}</ol>
      </section>
    </div>
    <section class="panel">
      <h2>商品</h2>
      ${table([
        ['商品', (l) => html`<span class="cell-with-img">${image(l.image_url, l.name, 'thumb-img')}<a class="text-link" href="#/products/${l.product_id}">${l.name}</a></span>`, 'wide'],
        ['规格', (l) => specs(l) || '—'],
        ['单价', (l) => yuan(l.unit_price), 'num'],
        ['数量', (l) => l.count, 'num'],
        ['小计', (l) => yuan(l.line_total), 'num'],
        ['评价', (l) => (l.reviewed ? '已评价' : '—')],
      ], o.lines, { testid: 'order-lines', rowTestid: 'order-line' })}
      <div class="totals">
        <p>商品 ${o.total_count} 件，金额 ${yuan(o.amount)}，运费 ${yuan(o.freight)}</p>
        <p class="grand">合计 <span class="price big" data-testid="order-total">${yuan(o.total)}</span></p>
      </div>
    </section>
    <section class="panel" data-testid="order-payments">
      <h2>支付与退款</h2>
      ${table([
        ['编号', (p) => p.id],
        ['方式', (p) => PAY_METHODS[p.method] || p.method],
        ['交易号', (p) => html`<span class="mono">${p.trade_no}</span>`],
        ['支付宝交易号', (p) => html`<span class="mono">${p.gateway_trade_no || '—'}</span>`],
        ['金额', (p) => yuan(p.amount), 'num'],
        ['状态', (p) => stateTag(p.state)],
        ['时间', (p) => when(p.created_at)],
      ], detail.payments, { testid: 'payments', rowTestid: 'payment-row', empty: o.pay_method === 'wallet' ? '余额支付，无第三方支付记录' : '没有第三方支付记录' })}
      ${detail.payments.some((p) => p.state === 'needs_refund')
        ? html`<p class="message message-error">这笔钱到账时订单已不能收款，需要退还：到<a class="text-link" href="#/payments?state=needs_refund">支付页</a>原路退款，或记下在支付宝后台的手工退款。</p>`
        : ''}
      ${detail.refunds.length ? html`<h3>退款</h3>${table([
        ['编号', (r) => r.id],
        ['对象', (r) => (r.subject.startsWith('payment:') ? `支付记录 ${r.payment_id}` : '订单')],
        ['金额', (r) => yuan(r.amount), 'num'],
        ['方式', (r) => REFUND_METHOD[r.method] || r.method],
        ['来源', (r) => REFUND_ORIGIN[r.origin] || r.origin],
        ['原因', (r) => html`${r.reason || '—'}${r.answer ? html`<span class="muted small block">答复：${r.answer}</span>` : ''}`, 'wide'],
        ['状态', (r) => refundTag(r.state)],
        ['处理人', (r) => r.operator || '—'],
        ['操作', (r) => (r.state === 'failed' ? refundActions(r) : ''), 'actions-cell'],
      ], detail.refunds, { testid: 'order-refunds', rowTestid: 'order-refund' })}` : ''}
    </section>
    <section class="panel">
      <h2>操作记录</h2>
      ${table([
        ['时间', (e) => when(e.at)],
        ['操作人', (e) => e.actor],
        ['操作', (e) => ACTION[e.action] || e.action],
        ['变更', (e) => changes(e), 'wide'],
      ], detail.audit, { testid: 'order-audit', rowTestid: 'audit-row', empty: '运营人员未改动过此订单' })}
    </section>`);

  const row = { ...o };
  for (const button of ctx.view.querySelectorAll('button[data-action]')) {
    button.addEventListener('click', async () => {
      const notice = await shipOrCancel(row, button.dataset.action, button);
      if (notice) go(location.hash, { notice });
    });
  }
  const byId = new Map(detail.refunds.map((r) => [String(r.id), r]));
  on(ctx.view, '[data-decide]', 'click', async (event, button) => {
    const notice = await decideRefund(byId.get(button.dataset.refund), button.dataset.decide, button);
    if (notice) go(location.hash, { notice });
  });
  const refundButton = $('[data-testid="refund-order-button"]', ctx.view);
  if (refundButton) {
    refundButton.addEventListener('click', async () => {
      const reason = await askText({
        title: '退款',
        message: `订单 ${o.order_id} 将全额退款 ${yuan(o.total)}：${o.pay_method === 'wallet' ? '立即退回买家余额' : '经支付宝原路退回'}，库存退回，订单不再发货。`,
        label: '退款原因（选填）',
        confirmText: '退款',
        danger: true,
      });
      if (reason === null) return;
      const refund = await withBusy(refundButton, () => post(`/api/admin/orders/${enc(o.order_id)}/refund`, { reason }));
      if (refund) go(location.hash, { notice: `退款 ${refund.id}：${refund.state_label}` });
    });
  }
  const simulate = $('[data-testid="simulate-pay-button"]', ctx.view);
  if (simulate) {
    simulate.addEventListener('click', async () => {
      const ok = await confirmAction({
        title: '模拟支付',
        message: `支付模拟器将发出一条“买家已支付 ${yuan(o.total)}”的通知，与支付宝的通知经过同样的校验。不会发生真实支付。`,
        confirmText: '发出通知',
      });
      if (!ok) return;
      const outcome = await withBusy(simulate, () => post(`/api/admin/payments/simulator/${enc(o.order_id)}/pay`));
      if (outcome) go(location.hash, { notice: `模拟支付：${outcome.verdict === 'applied' ? '订单已支付' : outcome.verdict}` });
    });
  }
}
