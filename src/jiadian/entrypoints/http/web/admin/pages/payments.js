/*
 * 支付: gateway payments by state — money kept for a refund first among them —, a
 * search by order or trade number, reconciling the pending trades with Alipay from
 * the page, and the notifications received with their verdicts.
 *
 * Money kept for a refund goes back through Alipay's refund API (原路退款: a refund, followed on the
 * 退款 page), or — refunded by hand at Alipay's console — is recorded here. Each after a confirmation.
 *
 * Test ids: payment-tabs, payment-tab-<state|all>, payment-search, filter-q, payments (table),
 * payment-row (data-key = payment id), refund-payment, mark-refunded, reconcile-button, reconcile-report,
 * notifications (table), notification-row, notification-filter.
 */

import { api, post } from '../../shared/api.js';
import { attrIf, html } from '../../shared/html.js';
import { $, enc, on } from '../../shared/dom.js';
import { bindPagination, pagination } from '../../shared/components.js';
import { withBusy } from '../../shared/messages.js';
import { go, withQuery } from '../../shared/router.js';
import { askText, confirmAction } from '../../shared/dialog.js';
import { state } from '../session.js';
import { PAYMENT_STATE, VERDICT, bindFilters, pageHead, pageOf, qs, stateTag, table, when, yuan } from '../components.js';

const TABS = [
  ['needs_refund', '待退款'], ['pending', '待确认'], ['applied', '已入账'], ['refunding', '退款中'], ['refunded', '已退款'],
  ['closed', '已关闭'], ['all', '全部'],
];

function verdict(value) {
  const returned = value.startsWith('return:');
  const plain = returned ? value.slice('return:'.length) : value;
  return `${returned ? '浏览器返回：' : ''}${VERDICT[plain] || plain}`;
}

export async function render(ctx) {
  const q = ctx.query;
  const chosen = q.get('state') || 'needs_refund';
  const trade = q.get('trade') || '';
  const [page, notifications] = await Promise.all([
    api(`/api/admin/payments${qs({ state: chosen === 'all' ? '' : chosen, q: q.get('q'), page: pageOf(q), page_size: 20 })}`),
    api(`/api/admin/payments/notifications${qs({ trade_no: trade, limit: 20 })}`),
  ]);
  const gateway = state.settings ? state.settings.payment_gateway : '';
  ctx.render(html`
    ${pageHead('支付', html`<button type="button" class="button secondary" data-testid="reconcile-button">向支付宝核对待确认交易</button>`)}
    ${gateway === 'simulator' ? html`<p class="muted small">本店正以支付模拟器运行：不发生真实支付，订单详情页可模拟买家已支付。</p>` : ''}
    <div data-testid="reconcile-report"></div>
    <nav class="tabs" data-testid="payment-tabs" aria-label="支付状态">${TABS.map(([value, label]) => html`
      <a href="${withQuery({ state: value, page: null })}" data-testid="payment-tab-${value}"
         class="${value === chosen ? 'active' : ''}"${attrIf(value === chosen, 'aria-current="page"')}>${label}</a>`)}
    </nav>
    <form class="filters panel" data-testid="payment-search" role="search">
      <label>订单号/交易号<input name="q" value="${q.get('q') || ''}" maxlength="64" data-testid="filter-q"></label>
      <input type="hidden" name="state" value="${chosen}">
      <div class="filter-actions"><button type="submit" class="button small">查找</button></div>
    </form>
    <section class="panel">
      ${chosen === 'needs_refund'
        ? html`<p class="notice-box">这些钱到账时订单已不能收款（已取消、已过期或已用余额支付）。“原路退款”经支付宝退款接口退回（可在<a class="text-link" href="#/refunds?state=pending">退款</a>页查看进度）；已在支付宝商家后台手工退款的，点“已手工退款”记下。</p>`
        : ''}
      ${table([
        ['编号', (p) => p.id],
        ['订单', (p) => html`<a class="text-link mono" href="#/orders/${enc(p.order_id)}">${p.order_id}</a>`],
        ['用户', (p) => html`<a class="text-link" href="#/users/${p.user_id}">#${p.user_id}</a>`],
        ['交易号', (p) => html`<span class="mono small">${p.trade_no}</span>`],
        ['金额', (p) => html`<span class="price">${yuan(p.amount)}</span>`, 'num'],
        ['状态', (p) => stateTag(p.state)],
        ['时间', (p) => when(p.created_at), 'nowrap'],
        ['操作', (p) => (p.state === 'needs_refund'
          ? html`<button type="button" class="button small" data-refund-payment="${p.id}" data-amount="${p.amount}" data-testid="refund-payment">原路退款</button>
                 <button type="button" class="button small secondary" data-refunded="${p.id}" data-amount="${p.amount}" data-testid="mark-refunded">已手工退款</button>`
          : ''), 'actions-cell'],
      ], page.items, { testid: 'payments', rowTestid: 'payment-row', rowKey: (p) => p.id, empty: `没有${PAYMENT_STATE[chosen] || ''}的支付记录` })}
      ${pagination(page)}
    </section>
    <section class="panel">
      <div class="section-head"><h2>支付通知</h2><span class="muted small">最近 20 条，含未通过验签的</span></div>
      <form class="filters" data-testid="notification-filter">
        <label>交易号<input name="trade" value="${trade}" maxlength="64"></label>
        <input type="hidden" name="state" value="${chosen}">
        <div class="filter-actions"><button type="submit" class="button small secondary">筛选</button></div>
      </form>
      ${table([
        ['时间', (n) => when(n.received_at), 'nowrap'],
        ['来源', (n) => n.gateway],
        ['交易号', (n) => html`<span class="mono small">${n.trade_no || '—'}</span>`],
        ['结果', (n) => html`<span class="verdict verdict-${n.verdict.replace(':', '-')}">${verdict(n.verdict)}</span>`],
        ['金额', (n) => (n.fields.total_amount ? yuan(n.fields.total_amount) : '—'), 'num'],
        ['状态', (n) => n.fields.trade_status || '—'],
      ], notifications, { testid: 'notifications', rowTestid: 'notification-row', empty: '还没有收到支付通知' })}
    </section>`);
  bindFilters(ctx.view, '[data-testid="payment-search"]');
  bindFilters(ctx.view, '[data-testid="notification-filter"]');
  bindPagination(ctx.view, (n) => go(withQuery({ page: n })));
  on(ctx.view, '[data-refund-payment]', 'click', async (event, button) => {
    const reason = await askText({
      title: '原路退款',
      message: `经支付宝退还 ¥${button.dataset.amount}（支付记录 ${button.dataset.refundPayment}）。`,
      label: '退款原因（选填）',
      confirmText: '退款',
    });
    if (reason === null) return;
    const refund = await withBusy(button, () => post(`/api/admin/payments/${button.dataset.refundPayment}/refund`, { reason }));
    if (refund) go(location.hash, { notice: `退款 ${refund.id}：${refund.state_label}` });
  });
  on(ctx.view, '[data-refunded]', 'click', async (event, button) => {
    const ok = await confirmAction({
      title: '记录手工退款',
      message: `确认已在支付宝商家后台退还 ¥${button.dataset.amount}（支付记录 ${button.dataset.refunded}）？记录后不可撤销。`,
      confirmText: '已退款',
    });
    if (!ok) return;
    const done = await withBusy(button, () => post(`/api/admin/payments/${button.dataset.refunded}/refunded`));
    if (done) go(location.hash, { notice: `支付记录 ${done.id} 已标记为已退款` });
  });
  const reconcile = $('[data-testid="reconcile-button"]', ctx.view);
  reconcile.addEventListener('click', () => withBusy(reconcile, async () => {
    const r = await post('/api/admin/payments/reconcile');
    $('[data-testid="reconcile-report"]', ctx.view).innerHTML = String(html`
      <p class="message ${r.unavailable ? 'message-error' : 'message-notice'}">
        核对了 ${r.checked} 笔待确认交易：入账 ${r.applied}，待退款 ${r.needs_refund}，关闭 ${r.closed}，买家未支付 ${r.waiting}，
        与订单不符 ${r.refused}${r.unavailable ? `，另有 ${r.unavailable} 笔因支付宝无应答未核对` : ''}。</p>`);
  }));
}
