/*
 * 用户: every account, newest first, paged on the server; by username, e-mail or id,
 * operators or shoppers.
 *
 * Test ids: user-filters, filter-q, filter-role, users (table), user-row (data-key = id), user-link.
 */

import { api } from '../../shared/api.js';
import { attrIf, html } from '../../shared/html.js';
import { bindPagination, pagination } from '../../shared/components.js';
import { go, withQuery } from '../../shared/router.js';
import { bindFilters, filterButtons, pageHead, pageOf, qs, table, when, yuan } from '../components.js';

export async function render(ctx) {
  const q = ctx.query;
  const role = q.get('is_admin') || '';
  const page = await api(`/api/admin/users${qs({ q: q.get('q'), is_admin: role, page: pageOf(q), page_size: 20 })}`);
  ctx.render(html`
    ${pageHead('用户', html`<span class="muted" data-testid="users-total">共 ${page.total} 人</span>`)}
    <form class="filters panel" data-testid="user-filters" role="search">
      <label>搜索<input name="q" value="${q.get('q') || ''}" maxlength="100" placeholder="用户名、邮箱或编号" data-testid="filter-q"></label>
      <label>身份<select name="is_admin" data-testid="filter-role">
        <option value="">全部</option>
        <option value="true"${attrIf(role === 'true', 'selected')}>管理员</option>
        <option value="false"${attrIf(role === 'false', 'selected')}>顾客</option>
      </select></label>
      ${filterButtons()}
    </form>
    <section class="panel">
      ${table([
        ['编号', (u) => u.id, 'num'],
        ['用户名', (u) => html`<a class="text-link" href="#/users/${u.id}" data-testid="user-link">${u.username}</a>${u.is_admin ? html` <span class="status-tag ok">管理员</span>` : ''}`],
        ['邮箱', (u) => u.email],
        ['手机', (u) => u.phone || '—'],
        ['余额', (u) => yuan(u.balance), 'num'],
        ['订单', (u) => html`<a class="text-link" href="#/orders?user=${u.id}">${u.orders}</a>`, 'num'],
        ['注册时间', (u) => when(u.created_at), 'nowrap'],
      ], page.items, { testid: 'users', rowTestid: 'user-row', rowKey: (u) => u.id, empty: '没有符合条件的用户' })}
      ${pagination(page)}
    </section>`);
  bindFilters(ctx.view);
  bindPagination(ctx.view, (n) => go(withQuery({ page: n })));
}
