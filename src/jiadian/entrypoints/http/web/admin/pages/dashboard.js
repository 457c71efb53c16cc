/*
 * 概览: today's and this week's orders and revenue, the last 7 days, and what
 * waits for an operator — each figure a link to the list it counts.
 *
 * Test ids: stat-today-orders, stat-today-revenue, stat-week-orders, stat-week-revenue,
 * todo-ship, todo-expiring, todo-refund, todo-low-stock, todo-refund-requests, todo-refunds-failed,
 * todo-pending (each with -value), days.
 */

import { api } from '../../shared/api.js';
import { html } from '../../shared/html.js';
import { formatTime } from '../../shared/format.js';
import { pageHead, stat, table, yuan } from '../components.js';

function bar(value, max) {
  return html`<progress class="bar" max="${max || 1}" value="${value}" aria-hidden="true"></progress>`;
}

export async function render(ctx) {
  const board = await api('/api/admin/dashboard');
  const most = Math.max(1, ...board.days.map((d) => d.placed));
  const richest = Math.max(1, ...board.days.map((d) => Number(d.revenue)));
  const today = board.days[board.days.length - 1].date;
  const monday = board.days.find((d) => new Date(`${d.date}T00:00:00`).getDay() === 1)?.date || board.days[0].date;
  ctx.render(html`
    ${pageHead('概览', html`<span class="muted small" data-testid="dashboard-time">更新于 ${formatTime(board.now)}</span>`)}
    <section class="tiles" aria-label="成交">
      ${stat('今日订单', board.today.placed, { testid: 'stat-today-orders', href: `#/orders?placed_from=${today}&placed_to=${today}`, note: `已支付 ${board.today.paid} 单` })}
      ${stat('今日成交额', yuan(board.today.revenue), { testid: 'stat-today-revenue' })}
      ${stat('本周订单', board.week.placed, {
        testid: 'stat-week-orders', href: `#/orders?placed_from=${monday}`, note: `已支付 ${board.week.paid} 单`,
      })}
      ${stat('本周成交额', yuan(board.week.revenue), { testid: 'stat-week-revenue', note: '自周一起' })}
    </section>
    <h2>待处理</h2>
    <section class="tiles" aria-label="待处理">
      ${stat('待发货', board.awaiting_shipment, { testid: 'todo-ship', href: '#/orders?status=2', alert: board.awaiting_shipment > 0 })}
      ${stat('即将过期的未付款订单', board.expiring, {
        testid: 'todo-expiring', href: '#/orders?expiring=1', note: `${board.expiring_within_hours} 小时内过期`,
      })}
      ${stat('待退款的支付', board.needs_refund, {
        testid: 'todo-refund', href: '#/payments?state=needs_refund', note: `共 ${yuan(board.needs_refund_amount)}`,
        alert: board.needs_refund > 0,
      })}
      ${stat('库存不足的 SKU', board.low_stock, {
        testid: 'todo-low-stock', href: '#/stock', note: `库存不超过 ${board.low_stock_at_most} 件`, alert: board.low_stock > 0,
      })}
      ${stat('待处理的退款申请', board.refund_requests, {
        testid: 'todo-refund-requests', href: '#/refunds?state=requested', alert: board.refund_requests > 0,
      })}
      ${stat('退款失败', board.refunds_failed, {
        testid: 'todo-refunds-failed', href: '#/refunds?state=failed', note: '重试或手工退款', alert: board.refunds_failed > 0,
      })}
      ${stat('待支付宝确认的交易', board.pending_trades, { testid: 'todo-pending', href: '#/payments?state=pending' })}
    </section>
    <section class="panel">
      <h2>最近 7 天</h2>
      ${table([
        ['日期', (d) => html`<a class="text-link" href="#/orders?placed_from=${d.date}&placed_to=${d.date}">${d.date}</a>`],
        ['订单', (d) => html`<span class="bar-cell">${bar(d.placed, most)}<span>${d.placed}</span></span>`, 'wide'],
        ['已支付', (d) => d.paid, 'num'],
        ['成交额', (d) => html`<span class="bar-cell">${bar(Number(d.revenue), richest)}<span>${yuan(d.revenue)}</span></span>`, 'wide'],
      ], [...board.days].reverse(), { testid: 'days', rowTestid: 'day', cards: false })}
    </section>`);
}
