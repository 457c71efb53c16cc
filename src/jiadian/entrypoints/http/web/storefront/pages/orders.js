/* #/user/orders?status=&page= (alias #/orders) — the shopper's orders, by status. */

import { api } from '../../shared/api.js';
import { attrIf, html } from '../../shared/html.js';
import { $, enc } from '../../shared/dom.js';
import { bindPagination, emptyState, pagination } from '../../shared/components.js';
import { formatTime, money } from '../../shared/format.js';
import { go, withQuery } from '../../shared/router.js';
import { orderLine, userLayout } from '../components.js';

const ORDER_TABS = [
  ['', '全部', 'all'],
  ['1', '待支付', '1'],
  ['2', '待发货', '2'],
  ['3', '待收货', '3'],
  ['4', '待评价', '4'],
  ['5', '已完成', '5'],
  ['cancelled', '已取消', 'cancelled'],
  ['refund_requested', '退款申请中', 'refund_requested'],
  ['refunded', '已退款', 'refunded'],
];

export async function render(ctx) {
  document.title = '我的订单 - 家电之选';
  const status = ctx.query.get('status') || '';
  const params = new URLSearchParams({ page: ctx.query.get('page') || '1' });
  if (status) params.set('status', status);
  const result = await api(`/api/orders?${params}`);
  if (!ctx.render(userLayout('/user/orders', html`
    <section class="panel">
      <h1>我的订单</h1>
      <nav class="tabs" data-testid="order-status-tabs" aria-label="订单状态">
        ${ORDER_TABS.map(([value, label, id]) => html`
          <a href="#/user/orders${value ? `?status=${value}` : ''}" data-testid="order-tab-${id}"
             class="${value === status ? 'active' : ''}"${attrIf(value === status, 'aria-current="page"')}>${label}</a>`)}
      </nav>
      ${result.items.length ? result.items.map(orderCard) : emptyState('暂无订单')}
      ${pagination(result)}
    </section>`))) return;
  const activeTab = $('.tabs a.active', ctx.view);
  if (activeTab) activeTab.scrollIntoView({ block: 'nearest', inline: 'nearest' });
  bindPagination(ctx.view, (n) => go(withQuery({ page: n })));
}

function orderCard(order) {
  const status = String(order.status);
  const link = `#/order/${enc(order.order_id)}`;
  return html`
    <article class="order-card" data-testid="order-card" data-order-id="${order.order_id}">
      <header>
        <span class="muted">${formatTime(order.created_at)}</span>
        <span>订单号：${order.trade_no}</span>
        <span class="status status-${status}" data-testid="order-status">${order.status_label}</span>
      </header>
      ${(order.lines || []).map(orderLine)}
      <footer>
        <span>共 ${order.total_count} 件，实付 <strong class="price">${money(order.total)}</strong>（含运费 ${money(order.freight)}）</span>
        <span class="actions">
          <a class="button secondary small" href="${link}" data-testid="order-detail-link">订单详情</a>
          ${status === '1' ? html`<a class="button small" href="#/pay/${enc(order.order_id)}" data-testid="order-pay-button">去支付</a>` : ''}
          ${status === '4' ? html`<a class="button small" href="${link}/review" data-testid="review-link">去评价</a>` : ''}
        </span>
      </footer>
    </article>`;
}
