/*
 * 操作日志: every change an operator made — over HTTP or the command line — newest
 * first: who, when, what, of which thing, before → after. By operator, kind of
 * action, target and time.
 *
 * Test ids: audit-filters, filter-actor, filter-action, filter-target, filter-since, filter-until,
 * audit (table), audit-row (data-key = entry id).
 */

import { api } from '../../shared/api.js';
import { attrIf, html } from '../../shared/html.js';
import { bindPagination, pagination } from '../../shared/components.js';
import { go, withQuery } from '../../shared/router.js';
import { ACTION, bindFilters, filterButtons, changes, pageHead, pageOf, qs, table, targetLink, when } from '../components.js';

const KINDS = [
  ['', '全部操作'], ['product', '商品'], ['sku', 'SKU（价格、库存）'], ['sku_image', 'SKU 图片'], ['category', '分类'],
  ['banner', '轮播图'], ['order', '订单'], ['payment', '支付'], ['refund', '退款'], ['wallet', '钱包'], ['user', '用户'],
  ['gate', '库存闸门'], ['alias', '品牌别名'], ['file', '文件'],
];

export async function render(ctx) {
  const q = ctx.query;
  const action = q.get('action') || '';
  const page = await api(`/api/admin/audit${qs({
    actor: q.get('actor'), action, target: q.get('target'), since: q.get('since'), until: q.get('until'),
    page: pageOf(q), page_size: 20,
  })}`);
  ctx.render(html`
    ${pageHead('操作日志', html`<span class="muted" data-testid="audit-total">共 ${page.total} 条</span>`)}
    <form class="filters panel" data-testid="audit-filters" role="search">
      <label>操作人<input name="actor" value="${q.get('actor') || ''}" maxlength="64" placeholder="用户名，或 cli:登录名" data-testid="filter-actor"></label>
      <label>操作<select name="action" data-testid="filter-action">${KINDS.map(([value, label]) => html`
        <option value="${value}"${attrIf(value === action, 'selected')}>${label}</option>`)}
        ${action && !KINDS.some(([value]) => value === action) ? html`<option value="${action}" selected>${ACTION[action] || action}</option>` : ''}
      </select></label>
      <label>对象<input name="target" value="${q.get('target') || ''}" maxlength="80" placeholder="如 order:2026… 或 sku:12" data-testid="filter-target"></label>
      <label>从<input type="datetime-local" name="since" value="${q.get('since') || ''}" data-testid="filter-since"></label>
      <label>到<input type="datetime-local" name="until" value="${q.get('until') || ''}" data-testid="filter-until"></label>
      ${filterButtons()}
    </form>
    <section class="panel">
      ${table([
        ['时间', (e) => when(e.at), 'nowrap'],
        ['操作人', (e) => html`<a class="text-link" href="${withQuery({ actor: e.actor, page: null })}">${e.actor}</a>${e.via === 'cli' ? html` <span class="tag">命令行</span>` : ''}`],
        ['操作', (e) => html`<span data-testid="audit-action" data-action="${e.action}">${ACTION[e.action] || e.action}</span>`],
        ['对象', (e) => targetLink(e.target), 'nowrap'],
        ['变更', (e) => changes(e), 'wide'],
      ], page.items, { testid: 'audit', rowTestid: 'audit-row', rowKey: (e) => e.id, empty: '没有符合条件的操作记录' })}
      ${pagination(page)}
    </section>`);
  bindFilters(ctx.view);
  bindPagination(ctx.view, (n) => go(withQuery({ page: n })));
}
