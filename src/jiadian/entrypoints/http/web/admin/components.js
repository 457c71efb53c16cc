/*
 * The console's own components: tables that turn into cards on a phone, the
 * labels of statuses, payment states and audit actions, a change's before → after,
 * and the small forms every list shares (filters that live in the URL).
 */

import { html, raw } from '../shared/html.js';
import { $, enc } from '../shared/dom.js';
import { go, withQuery } from '../shared/router.js';
import { formatTime, money } from '../shared/format.js';

export const ORDER_STATUS = {
  1: '待支付', 2: '待发货', 3: '待收货', 4: '待评价', 5: '已完成', cancelled: '已取消',
  refund_requested: '退款申请中', refunded: '已退款',
};
export const PAYMENT_STATE = {
  pending: '待确认', applied: '已入账', needs_refund: '待退款', refunding: '退款中', refunded: '已退款', closed: '已关闭',
};
export const REFUND_STATE = {
  requested: '退款申请中', refused: '已拒绝', pending: '退款处理中', refunded: '已退款', failed: '退款失败',
};
export const REFUND_METHOD = { wallet: '退回余额', alipay: '原路退回支付宝' };
export const REFUND_ORIGIN = { buyer: '买家申请', operator: '运营发起', payment: '多付款退回' };
export const CANCEL_REASON = { buyer: '买家取消', expired: '超时未支付', operator: '运营取消' };
export const STEP = {
  placed: '下单', paid: '支付', shipped: '发货', received: '确认收货', completed: '评价完成', cancelled: '取消',
  refund_requested: '申请退款', refund_refused: '拒绝退款', refund_decided: '同意退款', refunded: '退款到账',
};
export const VERDICT = {
  applied: '已入账', duplicate: '重复通知', needs_refund: '待退款', not_paid: '未支付', unsigned: '无签名',
  bad_signature: '签名错误', missing_fields: '字段缺失', wrong_app_id: 'AppID 不符', unknown_trade: '未知交易',
  amount_mismatch: '金额不符', unavailable: '网关无应答', error: '处理出错',
};
export const ACTION = {
  'category.create': '新建分类',
  'product.create': '新建商品',
  'product.update': '编辑商品',
  'product.rename': '商品改名',
  'product.shelve': '上架',
  'product.unshelve': '下架',
  'sku.create': '新增 SKU',
  'sku.price': '改价',
  'sku.stock': '改库存',
  'sku_image.add': '上传图片',
  'sku_image.replace': '更换图片',
  'sku_image.delete': '删除图片',
  'sku_image.order': '调整图片顺序',
  'banner.create': '新建轮播图',
  'banner.image': '更换轮播图片',
  'banner.activate': '显示轮播图',
  'banner.deactivate': '隐藏轮播图',
  'banner.order': '调整轮播顺序',
  'banner.delete': '删除轮播图',
  'order.ship': '发货',
  'order.cancel': '取消订单',
  'payment.refunded': '标记已退款',
  'payment.simulate': '模拟支付',
  'payment.reconcile': '核对支付宝交易',
  'wallet.recharge': '充值',
  'user.create': '创建用户',
  'user.admin': '设置管理员',
  'gate.open': '开启库存闸门',
  'gate.close': '关闭库存闸门',
  'gate.reconcile': '校准库存令牌',
  'order.refund': '退款',
  'refund.approve': '同意退款',
  'refund.refuse': '拒绝退款',
  'refund.retry': '重新退款',
  'refund.by_hand': '记录手工退款',
  'refund.settle': '向支付宝确认退款',
  'payment.refund': '原路退回支付款',
  'file.delete': '删除文件',
  'file.migrate': '迁移文件',
  'category.rename': '分类改名',
  'alias.add': '添加品牌别名',
  'alias.remove': '删除品牌别名',
};
const FIELD = {
  price: '价格', stock: '库存', color: '颜色', size: '规格', name: '名称', on_shelf: '上架', category_id: '分类编号',
  spu_id: '系列编号', spu: '系列', spu_detail: '系列详情', status: '状态', cancel_reason: '取消原因', state: '状态',
  balance: '余额', total_recharged: '累计充值', is_admin: '管理员', active: '显示', position: '顺序', image: '图片',
  order: '顺序', gate_tokens: '闸门令牌', slug: '标识', username: '用户名', email: '邮箱', amount: '金额',
  verdict: '结果', order_id: '订单号', checked: '核对', applied: '入账', needs_refund: '待退款', closed: '关闭',
  waiting: '待支付', refused: '不符', unavailable: '未应答', refund_id: '退款编号', refund_state: '退款状态',
  refund_method: '退款方式', refund_amount: '退款金额', answer: '答复', references: '引用数', refunded: '已退款',
  failed: '失败', unconfirmed: '待确认', missing: '缺失', vanished: '已无引用', alias: '别名',
};

/** A field of an audit entry in words: "skus.12.price" → "SKU 12 价格". */
export function fieldLabel(key) {
  const sku = /^skus\.(\d+)\.(\w+)$/.exec(key);
  if (sku) return `SKU ${sku[1]} ${FIELD[sku[2]] || sku[2]}`;
  const image = /^images\.(\d+)$/.exec(key);
  if (image) return `图片 ${image[1]}`;
  return FIELD[key] || key;
}

const VALUES = {
  status: ORDER_STATUS, state: PAYMENT_STATE, cancel_reason: CANCEL_REASON, refund_state: REFUND_STATE,
  refund_method: REFUND_METHOD,
};

function shown(key, value) {
  if (value === null || value === undefined || value === '') return '—';
  if (value === true) return '是';
  if (value === false) return '否';
  const names = VALUES[key];
  return names && names[value] ? names[value] : String(value);
}

// The order fields are listed in: the thing's own first, then its skus one by one.
const FIRST = ['name', 'username', 'email', 'category_id', 'spu', 'spu_id', 'spu_detail', 'on_shelf', 'status', 'state'];
const SKU_FIELDS = ['color', 'size', 'price', 'stock'];

function fieldOrder(key) {
  const sku = /^skus\.(\d+)\.(\w+)$/.exec(key);
  if (sku) return [1, Number(sku[1]), SKU_FIELDS.indexOf(sku[2])];
  const first = FIRST.indexOf(key);
  return [first === -1 ? 0.5 : 0, first, 0];
}

const byField = (a, b) => {
  const [x, y] = [fieldOrder(a), fieldOrder(b)];
  return x[0] - y[0] || x[1] - y[1] || x[2] - y[2] || a.localeCompare(b);
};

/** What an audit entry changed: one line per field, before → after. */
export function changes(entry) {
  const keys = [...new Set([...Object.keys(entry.before || {}), ...Object.keys(entry.after || {})])].sort(byField);
  if (!keys.length) return html`<span class="muted">—</span>`;
  return html`<ul class="changes">${keys.map((key) => html`
    <li><span class="field">${fieldLabel(key)}</span>
      ${key in (entry.before || {}) ? html`<del>${shown(key, entry.before[key])}</del>` : ''}
      ${key in (entry.before || {}) && key in (entry.after || {}) ? raw(' → ') : ''}
      ${key in (entry.after || {}) ? html`<ins>${shown(key, entry.after[key])}</ins>` : ''}</li>`)}</ul>`;
}

const KIND = {
  product: '商品', sku: 'SKU', category: '分类', banner: '轮播图', order: '订单', payment: '支付记录',
  payments: '支付宝交易', user: '用户', refund: '退款', refunds: '退款', file: '文件', files: '文件', alias: '别名',
};

/** An audit target in words ("SKU #12", "订单 2026…"), linked to its page when it has one. */
export function targetLink(target) {
  const [kind, id = ''] = String(target).split(':');
  const named = { pending: '待确认', all: '全部' };
  const label = `${KIND[kind] || kind} ${/^\d{1,11}$/.test(id) ? `#${id}` : named[id] || id}`;
  const pages = { order: '/orders/', product: '/products/', user: '/users/' };
  if (pages[kind] && id) return html`<a class="text-link" href="#${pages[kind]}${enc(id)}" title="${target}">${label}</a>`;
  return html`<span title="${target}">${label}</span>`;
}

export function statusTag(status, label) {
  return html`<span class="status-tag status-${status}" data-testid="order-status">${label || ORDER_STATUS[status] || status}</span>`;
}

export function stateTag(state) {
  return html`<span class="status-tag state-${state}" data-testid="payment-state">${PAYMENT_STATE[state] || state}</span>`;
}

export function refundTag(state) {
  return html`<span class="status-tag refund-${state}" data-testid="refund-state">${REFUND_STATE[state] || state}</span>`;
}

/**
 * A table of rows; each column is [label, cell(row)] or [label, cell(row), className].
 * On a phone each row becomes a card whose cells carry their column's label (unless `cards: false`:
 * a narrow table that fits as it is).
 */
export function table(columns, rows, { testid = 'table', rowTestid = 'row', rowKey = null, empty = '暂无数据', cards = true } = {}) {
  if (!rows.length) return html`<div class="empty" data-testid="${testid}-empty"><p>${empty}</p></div>`;
  return html`
    <div class="table-wrap">
      <table class="table ${cards ? 'cards' : 'keep-table'}" data-testid="${testid}">
        <thead><tr>${columns.map(([label, , cls]) => html`<th class="${cls || ''}">${label}</th>`)}</tr></thead>
        <tbody>${rows.map((row) => html`
          <tr data-testid="${rowTestid}"${rowKey ? html` data-key="${rowKey(row)}"` : ''}>${columns.map(([label, cell, cls]) => html`
            <td data-label="${label}" class="${cls || ''}">${cell(row)}</td>`)}</tr>`)}</tbody>
      </table>
    </div>`;
}

export function stat(label, value, { href = null, testid = '', note = '', alert = false } = {}) {
  const body = html`<span class="stat-label">${label}</span><strong data-testid="${testid}-value">${value}</strong>${note ? html`<span class="muted small">${note}</span>` : ''}`;
  const cls = `stat tile${alert ? ' alert' : ''}`;
  return href
    ? html`<a class="${cls}" href="${href}" data-testid="${testid}">${body}</a>`
    : html`<div class="${cls}" data-testid="${testid}">${body}</div>`;
}

/** A time as a table shows it: "12-03 12:32" this year, "2025-12-03" before. */
export function when(value) {
  const date = value ? new Date(value) : null;
  if (!date || Number.isNaN(date.getTime())) return formatTime(value);
  const two = (n) => String(n).padStart(2, '0');
  const day = `${two(date.getMonth() + 1)}-${two(date.getDate())}`;
  if (date.getFullYear() !== new Date().getFullYear()) return `${date.getFullYear()}-${day}`;
  return html`<time datetime="${value}" title="${formatTime(value)}">${day} ${two(date.getHours())}:${two(date.getMinutes())}</time>`;
}
export const yuan = (value) => money(value);

/**
 * Filters in the URL: a form whose named fields become query parameters (page reset to 1) on submit.
 * Fields already in the query are filled in by the page's markup.
 */
export function bindFilters(root, selector = '.filters') {
  const form = $(selector, root);
  if (!form) return;
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    const changes = { page: null };
    for (const [name, value] of new FormData(form).entries()) changes[name] = String(value).trim() || null;
    form.querySelectorAll('input[type="checkbox"][name]').forEach((box) => { changes[box.name] = box.checked ? '1' : null; });
    go(withQuery(changes));
  });
  form.querySelectorAll('[data-reset]').forEach((button) => button.addEventListener('click', () => {
    const keep = {};
    for (const name of new FormData(form).keys()) keep[name] = null;
    form.querySelectorAll('input[type="checkbox"][name]').forEach((box) => { keep[box.name] = null; });
    go(withQuery({ ...keep, page: null }));
  }));
}

/** A filter form's buttons: apply, and clear every filter. */
export const filterButtons = () => html`
  <div class="filter-actions">
    <button type="submit" class="button small">筛选</button>
    <button type="button" class="button small secondary" data-reset>清除</button>
  </div>`;

/** The query's page number (1 when absent or nonsense). */
export const pageOf = (query, name = 'page') => Math.max(1, Number.parseInt(query.get(name) || '1', 10) || 1);

/** A query string from the non-empty entries of an object. */
export function qs(params) {
  const search = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) {
    if (value !== null && value !== undefined && value !== '') search.set(key, value);
  }
  const text = search.toString();
  return text ? `?${text}` : '';
}

export function pageHead(title, actions = '') {
  return html`<div class="section-head page-head"><h1 data-testid="page-title">${title}</h1>${actions ? html`<div class="head-actions">${actions}</div>` : ''}</div>`;
}
