/*
 * 退款: the refunds ledger by state — the buyers' requests to decide first. Approve (the order
 * is refunded: stock back, money back the way it came) or refuse with an answer the buyer
 * sees; a refund Alipay refused: ask again, or record one made by hand at Alipay's console;
 * ask Alipay about the pending ones now. Each after a confirmation.
 *
 * Test ids: refund-tabs, refund-tab-<state|all>, refunds (table), refund-row (data-key = id),
 * approve-refund, refuse-refund, retry-refund, refunded-by-hand, settle-refunds.
 */

import { api, post } from '../../shared/api.js';
import { attrIf, html } from '../../shared/html.js';
import { $, enc, on } from '../../shared/dom.js';
import { bindPagination, pagination } from '../../shared/components.js';
import { withBusy } from '../../shared/messages.js';
import { go, withQuery } from '../../shared/router.js';
import { askText, confirmAction } from '../../shared/dialog.js';
import { REFUND_METHOD, REFUND_ORIGIN, REFUND_STATE, pageHead, pageOf, qs, refundTag, table, when, yuan } from '../components.js';

const TABS = [['requested', '待处理申请'], ['pending', '处理中'], ['failed', '失败'], ['refused', '已拒绝'], ['refunded', '已退款'], ['all', '全部']];

/** Decide a refund (approve, refuse, retry, by hand) after asking; what to tell the operator, else null. */
export async function decideRefund(refund, action, button) {
  const amount = yuan(refund.amount);
  const how = REFUND_METHOD[refund.method] || refund.method;
  let body;
  if (action === 'approve') {
    const ok = await confirmAction({
      title: '同意退款',
      message: `订单 ${refund.order_id} 将退款 ${amount}（${how}），库存退回，订单不再发货。`,
      confirmText: '同意退款',
    });
    if (!ok) return null;
  } else if (action === 'refuse') {
    const answer = await askText({
      title: '拒绝退款',
      message: `买家会看到你的答复，订单 ${refund.order_id} 将照常发货。`,
      label: '答复买家',
      required: true,
      confirmText: '拒绝',
      danger: true,
    });
    if (answer === null) return null;
    body = { answer };
  } else if (action === 'retry') {
    const ok = await confirmAction({ title: '重新退款', message: `用同一退款单号再次请求支付宝退款 ${amount}？`, confirmText: '重新请求' });
    if (!ok) return null;
  } else {
    const ok = await confirmAction({
      title: '记录手工退款',
      message: `确认已在支付宝商家后台退还 ${amount}（退款 ${refund.id}）？记录后不可撤销。`,
      confirmText: '已退款',
    });
    if (!ok) return null;
  }
  const paths = { approve: 'approve', refuse: 'refuse', retry: 'retry', by_hand: 'refunded' };
  const done = await withBusy(button, () => post(`/api/admin/refunds/${refund.id}/${paths[action]}`, body));
  return done ? `退款 ${done.id}：${REFUND_STATE[done.state] || done.state}` : null;
}

/** The buttons a refund offers in its state. */
export function refundActions(refund) {
  if (refund.state === 'requested') {
    return html`
      <button type="button" class="button small" data-refund="${refund.id}" data-decide="approve" data-testid="approve-refund">同意</button>
      <button type="button" class="button small secondary" data-refund="${refund.id}" data-decide="refuse" data-testid="refuse-refund">拒绝</button>`;
  }
  if (refund.state === 'failed') {
    return html`
      <button type="button" class="button small" data-refund="${refund.id}" data-decide="retry" data-testid="retry-refund">重试</button>
      <button type="button" class="button small secondary" data-refund="${refund.id}" data-decide="by_hand" data-testid="refunded-by-hand">已手工退款</button>`;
  }
  return '';
}

export async function render(ctx) {
  const q = ctx.query;
  const chosen = q.get('state') || 'requested';
  const page = await api(`/api/admin/refunds${qs({ state: chosen === 'all' ? '' : chosen, page: pageOf(q), page_size: 20 })}`);
  const byId = new Map(page.items.map((r) => [String(r.id), r]));
  ctx.render(html`
    ${pageHead('退款', html`<button type="button" class="button secondary" data-testid="settle-refunds">向支付宝确认处理中的退款</button>`)}
    <nav class="tabs" data-testid="refund-tabs" aria-label="退款状态">${TABS.map(([value, label]) => html`
      <a href="${withQuery({ state: value, page: null })}" data-testid="refund-tab-${value}"
         class="${value === chosen ? 'active' : ''}"${attrIf(value === chosen, 'aria-current="page"')}>${label}</a>`)}
    </nav>
    <section class="panel">
      ${table([
        ['编号', (r) => r.id, 'num'],
        ['订单', (r) => html`<a class="text-link mono" href="#/orders/${enc(r.order_id)}">${r.order_id}</a>`],
        ['用户', (r) => html`<a class="text-link" href="#/users/${r.user_id}">#${r.user_id}</a>`],
        ['金额', (r) => html`<span class="price">${yuan(r.amount)}</span>`, 'num'],
        ['方式', (r) => REFUND_METHOD[r.method] || r.method, 'nowrap'],
        ['来源', (r) => REFUND_ORIGIN[r.origin] || r.origin, 'nowrap'],
        ['原因', (r) => html`${r.reason || html`<span class="muted">—</span>`}${r.answer ? html`<span class="muted small block">答复：${r.answer}</span>` : ''}`, 'wide'],
        ['状态', (r) => refundTag(r.state), 'nowrap'],
        ['时间', (r) => when(r.created_at), 'nowrap'],
        ['处理人', (r) => r.operator || '—'],
        ['操作', (r) => refundActions(r), 'actions-cell'],
      ], page.items, { testid: 'refunds', rowTestid: 'refund-row', rowKey: (r) => r.id, empty: `没有${REFUND_STATE[chosen] || ''}的退款` })}
      ${pagination(page)}
    </section>`);
  bindPagination(ctx.view, (n) => go(withQuery({ page: n })));
  on(ctx.view, '[data-decide]', 'click', async (event, button) => {
    const notice = await decideRefund(byId.get(button.dataset.refund), button.dataset.decide, button);
    if (notice) go(location.hash, { notice });
  });
  const settle = $('[data-testid="settle-refunds"]', ctx.view);
  settle.addEventListener('click', () => withBusy(settle, async () => {
    const r = await post('/api/admin/refunds/settle');
    go(location.hash, {
      notice: `问了 ${r.checked} 笔：已退款 ${r.refunded}，失败 ${r.failed}，待确认 ${r.unconfirmed}${r.unavailable ? `，${r.unavailable} 笔因支付宝无应答未问` : ''}`,
    });
  }));
}
