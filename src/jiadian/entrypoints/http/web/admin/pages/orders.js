/*
 * 订单: every shopper's orders, newest first, paged on the server; by status (tabs),
 * order id or trade number, user, days placed, or unpaid and about to expire —
 * all kept in the URL. Ship and cancel from the list, each after a confirmation.
 *
 * Test ids: order-tabs, order-tab-all, order-tab-1 … order-tab-cancelled, order-filters,
 * filter-q, filter-user, filter-from, filter-to, filter-expiring, orders (table), order-row
 * (data-key = order id), order-link, ship-button, cancel-button, pagination.
 */

import { api, post } from '../../shared/api.js';
import { attrIf, html } from '../../shared/html.js';
import { enc, on } from '../../shared/dom.js';
import { bindPagination, pagination } from '../../shared/components.js';
import { withBusy } from '../../shared/messages.js';
import { go, withQuery } from '../../shared/router.js';
import { confirmAction } from '../../shared/dialog.js';
import { PAY_METHODS } from '../../shared/format.js';
import { ORDER_STATUS, bindFilters, filterButtons, pageHead, pageOf, qs, statusTag, table, when, yuan } from '../components.js';

const TABS = [['', '全部'], ...Object.entries(ORDER_STATUS)];

function goods(order) {
  const [first] = order.lines;
  if (!first) return '—';
  return order.lines.length > 1 ? `${first.name} 等 ${order.lines.length} 种` : first.name;
}

/** Ship or cancel an order after a confirmation; what to tell the operator when done, else null. */
export async function shipOrCancel(order, action, button) {
  const ship = action === 'ship';
  const ok = await confirmAction({
    title: ship ? '确认发货' : '取消订单',
    message: ship
      ? `订单 ${order.order_id}（${order.username || '买家'}，${yuan(order.total)}）将标记为已发货。`
      : `订单 ${order.order_id} 尚未支付，取消后库存将退回，且不可恢复。`,
    confirmText: ship ? '发货' : '取消订单',
    cancelText: ship ? '再想想' : '不取消',
    danger: !ship,
  });
  if (!ok) return null;
  const done = await withBusy(button, () => post(`/api/admin/orders/${enc(order.order_id)}/${ship ? 'ship' : 'cancel'}`));
  if (!done) return null;
  return ship ? `订单 ${order.order_id} 已发货` : `订单 ${order.order_id} 已取消`;
}

export async function render(ctx) {
  const q = ctx.query;
  const status = q.get('status') || '';
  const params = {
    status,
    q: q.get('q'),
    user: q.get('user'),
    placed_from: q.get('placed_from'),
    placed_to: q.get('placed_to'),
    expiring: q.get('expiring') ? 'true' : '',
    page: pageOf(q),
    page_size: 20,
  };
  const page = await api(`/api/admin/orders${qs(params)}`);
  const byId = new Map(page.items.map((o) => [o.order_id, o]));
  ctx.render(html`
    ${pageHead('订单', html`<span class="muted" data-testid="orders-total">共 ${page.total} 单</span>`)}
    <nav class="tabs" data-testid="order-tabs" aria-label="订单状态">
      ${TABS.map(([value, label]) => html`
        <a href="${withQuery({ status: value || null, expiring: null, page: null })}" data-testid="order-tab-${value || 'all'}"
           class="${value === status && !params.expiring ? 'active' : ''}"${attrIf(value === status && !params.expiring, 'aria-current="page"')}>${label}</a>`)}
    </nav>
    <form class="filters panel" data-testid="order-filters" role="search">
      <label>订单号/交易号<input name="q" value="${q.get('q') || ''}" maxlength="64" data-testid="filter-q"></label>
      <label>用户<input name="user" value="${q.get('user') || ''}" maxlength="100" placeholder="用户名或编号" data-testid="filter-user"></label>
      <label>下单日期从<input type="date" name="placed_from" value="${q.get('placed_from') || ''}" data-testid="filter-from"></label>
      <label>至<input type="date" name="placed_to" value="${q.get('placed_to') || ''}" data-testid="filter-to"></label>
      <label class="checkbox"><input type="checkbox" name="expiring"${attrIf(params.expiring, 'checked')} data-testid="filter-expiring">即将过期（未支付）</label>
      ${status ? html`<input type="hidden" name="status" value="${status}">` : ''}
      ${filterButtons()}
    </form>
    <section class="panel">
      ${table([
        ['订单号', (o) => html`<a class="text-link mono" href="#/orders/${enc(o.order_id)}" data-testid="order-link">${o.order_id}</a>`],
        ['下单时间', (o) => when(o.created_at), 'nowrap'],
        ['用户', (o) => html`<a class="text-link" href="#/users/${o.user_id}">${o.username}</a>`],
        ['商品', (o) => html`<span class="clip">${goods(o)}</span> <span class="muted">×${o.total_count}</span>`, 'wide'],
        ['金额', (o) => html`<span class="price">${yuan(o.total)}</span>`, 'num'],
        ['支付', (o) => PAY_METHODS[o.pay_method] || '—', 'nowrap'],
        ['状态', (o) => statusTag(o.status, o.status_label), 'nowrap'],
        ['操作', (o) => html`
          ${o.status === 2 ? html`<button type="button" class="button small" data-action="ship" data-order="${o.order_id}" data-testid="ship-button">发货</button>` : ''}
          ${o.status === 1 ? html`<button type="button" class="button small secondary" data-action="cancel" data-order="${o.order_id}" data-testid="cancel-button">取消</button>` : ''}
          <a class="button small secondary" href="#/orders/${enc(o.order_id)}">详情</a>`, 'actions-cell'],
      ], page.items, { testid: 'orders', rowTestid: 'order-row', rowKey: (o) => o.order_id, empty: '没有符合条件的订单' })}
      ${pagination(page)}
    </section>`);
  bindFilters(ctx.view);
  bindPagination(ctx.view, (n) => go(withQuery({ page: n })));
  on(ctx.view, 'button[data-action]', 'click', async (event, button) => {
    const notice = await shipOrCancel(byId.get(button.dataset.order), button.dataset.action, button);
    if (notice) go(location.hash, { notice });
  });
}
