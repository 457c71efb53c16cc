/*
 * 库存闸门: the hot skus' stock tokens beside MySQL's stock and the drift; open the gate
 * for skus, close it, re-sync the tokens.
 *
 * Test ids: gate-mode, gate (table), gate-row (data-key = sku id), gate-close, gate-form,
 * gate-skus, gate-open, gate-reconcile, gate-report.
 */

import { api, del, post, put } from '../../shared/api.js';
import { html } from '../../shared/html.js';
import { $, on } from '../../shared/dom.js';
import { showError, withBusy } from '../../shared/messages.js';
import { go } from '../../shared/router.js';
import { confirmAction } from '../../shared/dialog.js';
import { pageHead, table } from '../components.js';

export async function render(ctx) {
  const gate = await api('/api/admin/stock-gate');
  ctx.render(html`
    ${pageHead('库存闸门', html`<button type="button" class="button secondary" data-testid="gate-reconcile">按 MySQL 库存校准令牌</button>`)}
    <p class="panel" data-testid="gate-mode">${gate.checkout_uses_it
      ? '下单时会先从闸门取令牌：售罄的 SKU 不进数据库即被拒绝（秒杀时用）。'
      : html`本店未启用闸门（<code>JIADIAN_STOCK_GATE</code>）：下单不会使用这些令牌，这里的操作只改令牌。`}</p>
    <div data-testid="gate-report"></div>
    <section class="panel">
      ${table([
        ['SKU', (s) => html`#${s.sku_id}`],
        ['令牌', (s) => s.tokens, 'num'],
        ['MySQL 库存', (s) => (s.stock === null ? '已删除' : s.stock), 'num'],
        ['偏差', (s) => html`<span class="${s.drift ? 'warn' : ''}">${s.drift === null ? '—' : s.drift}</span>`, 'num'],
        ['操作', (s) => html`<button type="button" class="button small secondary" data-close="${s.sku_id}" data-testid="gate-close">关闭闸门</button>`, 'actions-cell'],
      ], gate.skus, { testid: 'gate', rowTestid: 'gate-row', rowKey: (s) => s.sku_id, empty: '没有 SKU 在闸门中' })}
    </section>
    <section class="panel">
      <h2>为 SKU 开启闸门</h2>
      <form class="form form-inline" data-testid="gate-form">
        <label>SKU 编号<input name="skus" required placeholder="如 12 13" data-testid="gate-skus"></label>
        <button type="submit" class="button" data-testid="gate-open">开启</button>
      </form>
      <p class="muted small">令牌数设为该 SKU 当前的 MySQL 库存。多个编号用空格或逗号隔开。</p>
    </section>`);

  on(ctx.view, '[data-close]', 'click', async (event, button) => {
    const ok = await confirmAction({ title: '关闭闸门', message: `SKU #${button.dataset.close} 的令牌将被删除，下单只查 MySQL。`, confirmText: '关闭' });
    if (!ok) return;
    const done = await withBusy(button, () => del(`/api/admin/stock-gate/${button.dataset.close}`));
    if (done !== undefined) go(location.hash, { notice: `SKU #${button.dataset.close} 的闸门已关闭` });
  });
  const form = $('[data-testid="gate-form"]', ctx.view);
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    const ids = form.skus.value.split(/[\s,，]+/).filter(Boolean);
    if (!ids.length || ids.some((id) => !/^\d+$/.test(id))) {
      showError('请输入 SKU 编号（数字）');
      return;
    }
    withBusy($('[data-testid="gate-open"]', form), async () => {
      for (const id of ids) await put(`/api/admin/stock-gate/${id}`);
      go(location.hash, { notice: `已为 ${ids.length} 个 SKU 开启闸门` });
    });
  });
  const reconcile = $('[data-testid="gate-reconcile"]', ctx.view);
  reconcile.addEventListener('click', () => withBusy(reconcile, async () => {
    const r = await post('/api/admin/stock-gate/reconcile');
    go(location.hash, { notice: `校准了 ${r.gated} 个 SKU：${r.changed.length} 个令牌已改为 MySQL 库存，${r.closed.length} 个已删除的 SKU 关闭了闸门` });
  }));
}
