/*
 * A user: profile, wallet and its ledger, addresses, latest orders; recharge (when the
 * shop allows it over HTTP), make or unmake an operator (effective at their next request;
 * not oneself) — each after a confirmation.
 *
 * Test ids: user-detail, user-wallet, wallet-balance, recharge-form, recharge-amount,
 * recharge-submit, recharge-off, admin-toggle, user-addresses, user-orders, ledger (table), ledger-row.
 */

import { api, post, put } from '../../shared/api.js';
import { html } from '../../shared/html.js';
import { $ } from '../../shared/dom.js';
import { bindPagination, pagination } from '../../shared/components.js';
import { withBusy } from '../../shared/messages.js';
import { go, withQuery } from '../../shared/router.js';
import { confirmAction } from '../../shared/dialog.js';
import { state } from '../session.js';
import { pageHead, pageOf, statusTag, table, when, yuan } from '../components.js';

const KIND = { recharge: '充值', payment: '支付', refund: '退款' };

export async function render(ctx) {
  const [userId] = ctx.params;
  const [user, ledger, orders] = await Promise.all([
    api(`/api/admin/users/${userId}`),
    api(`/api/admin/users/${userId}/ledger?page=${pageOf(ctx.query)}&page_size=10`),
    api(`/api/admin/orders?user=${userId}&page_size=5`),
  ]);
  const myself = state.user && state.user.id === user.id;
  const recharge = state.settings && state.settings.recharge_enabled;
  document.title = `${user.username} · 运营后台`;
  ctx.render(html`
    <p class="breadcrumb"><a href="#/users">用户</a> › ${user.username}</p>
    ${pageHead(html`${user.username} ${user.is_admin ? html`<span class="status-tag ok">管理员</span>` : ''}`)}
    <div class="detail-grid" data-testid="user-detail">
      <section class="panel">
        <h2>资料</h2>
        <dl class="facts">
          <dt>编号</dt><dd>${user.id}</dd>
          <dt>邮箱</dt><dd>${user.email}</dd>
          <dt>手机</dt><dd>${user.phone || '—'}</dd>
          <dt>简介</dt><dd>${user.introduce || '—'}</dd>
          <dt>注册时间</dt><dd>${when(user.created_at)}</dd>
          <dt>订单</dt><dd><a class="text-link" href="#/orders?user=${user.id}">${user.orders} 单</a></dd>
        </dl>
        <div class="actions">
          ${myself
            ? html`<span class="muted small">不能取消自己的管理员身份</span>`
            : html`<button type="button" class="button secondary" data-testid="admin-toggle">${user.is_admin ? '取消管理员' : '设为管理员'}</button>`}
        </div>
      </section>
      <section class="panel" data-testid="user-wallet">
        <h2>钱包</h2>
        <div class="stats">
          <div class="stat"><span class="muted">余额</span><strong data-testid="wallet-balance">${yuan(user.wallet.balance)}</strong></div>
          <div class="stat"><span class="muted">累计充值</span><strong>${yuan(user.wallet.total_recharged)}</strong></div>
          <div class="stat"><span class="muted">累计消费</span><strong>${yuan(user.wallet.total_consumed)}</strong></div>
        </div>
        ${recharge
          ? html`<form class="form form-inline" data-testid="recharge-form">
              <label>充值金额（元）<input name="amount" inputmode="decimal" required pattern="\\d{1,9}(\\.\\d{1,2})?" data-testid="recharge-amount"></label>
              <button type="submit" class="button" data-testid="recharge-submit">充值</button></form>`
          : html`<p class="muted small" data-testid="recharge-off">本店未开放在线充值（JIADIAN_RECHARGE_ENABLED）。可在服务器上执行 <code>jiadian wallet recharge ${user.username} 金额</code>。</p>`}
      </section>
    </div>
    <section class="panel" data-testid="user-addresses">
      <h2>收货地址</h2>
      ${table([
        ['收件人', (a) => html`${a.recipient}${a.is_default ? html` <span class="tag">默认</span>` : ''}`],
        ['电话', (a) => a.phone],
        ['地址', (a) => `${a.province}${a.city}${a.county}${a.detail}`, 'wide'],
      ], user.addresses, { testid: 'addresses', rowTestid: 'address-row', empty: '没有收货地址' })}
    </section>
    <section class="panel" data-testid="user-orders">
      <div class="section-head"><h2>最近的订单</h2><a class="text-link" href="#/orders?user=${user.id}">全部 ${orders.total} 单 ›</a></div>
      ${table([
        ['订单号', (o) => html`<a class="text-link mono" href="#/orders/${o.order_id}">${o.order_id}</a>`],
        ['下单时间', (o) => when(o.created_at)],
        ['金额', (o) => yuan(o.total), 'num'],
        ['状态', (o) => statusTag(o.status, o.status_label)],
      ], orders.items, { testid: 'recent-orders', rowTestid: 'recent-order', empty: '还没有订单' })}
    </section>
    <section class="panel">
      <h2>钱包流水</h2>
      ${table([
        ['时间', (e) => when(e.created_at)],
        ['类型', (e) => KIND[e.kind] || e.kind],
        ['金额', (e) => html`<span class="${e.kind === 'payment' ? 'price' : 'success'}">${e.kind === 'payment' ? '-' : '+'}${yuan(e.amount)}</span>`, 'num'],
        ['余额', (e) => yuan(e.balance_after), 'num'],
        ['订单', (e) => (e.order_id ? html`<a class="text-link mono" href="#/orders/${e.order_id}">${e.order_id}</a>` : '—')],
        ['备注', (e) => e.note || '—'],
      ], ledger.items, { testid: 'ledger', rowTestid: 'ledger-row', empty: '没有流水' })}
      ${pagination(ledger)}
    </section>`);
  bindPagination(ctx.view, (n) => go(withQuery({ page: n })));

  const toggle = $('[data-testid="admin-toggle"]', ctx.view);
  if (toggle) {
    toggle.addEventListener('click', async () => {
      const making = !user.is_admin;
      const ok = await confirmAction({
        title: making ? '设为管理员' : '取消管理员',
        message: making
          ? `${user.username} 将能进入运营后台并修改商品、订单和用户。从其下一次操作起生效。`
          : `${user.username} 将不能再进入运营后台。从其下一次操作起生效。`,
        confirmText: making ? '设为管理员' : '取消管理员',
        danger: !making,
      });
      if (!ok) return;
      const done = await withBusy(toggle, () => put(`/api/admin/users/${user.id}/admin`, { is_admin: making }));
      if (done) go(location.hash, { notice: `${done.username} ${done.is_admin ? '已设为管理员' : '已不再是管理员'}` });
    });
  }
  const form = $('[data-testid="recharge-form"]', ctx.view);
  if (form) {
    form.addEventListener('submit', async (event) => {
      event.preventDefault();
      const amount = form.amount.value.trim();
      const ok = await confirmAction({ title: '充值', message: `为 ${user.username} 的钱包充值 ¥${amount}？`, confirmText: '充值' });
      if (!ok) return;
      const wallet = await withBusy($('[data-testid="recharge-submit"]', form), () => post(`/api/admin/users/${user.id}/wallet/recharge`, { amount }));
      if (wallet) go(location.hash, { notice: `已充值，余额 ${yuan(wallet.balance)}` });
    });
  }
}
