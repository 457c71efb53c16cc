/* #/order/{order_id}/review — review the lines of a received order. */

import { api, post } from '../../shared/api.js';
import { attrIf, html } from '../../shared/html.js';
import { $, $$, enc, on } from '../../shared/dom.js';
import { SCORE_LABELS } from '../../shared/format.js';
import { showError, showNotice, withBusy } from '../../shared/messages.js';
import { orderLine, userLayout } from '../components.js';

export async function render(ctx) {
  document.title = '评价订单 - 家电之选';
  const order = await api(`/api/orders/${enc(ctx.params[0])}`);
  const reviewable = String(order.status) === '4';
  if (!ctx.render(userLayout('/user/orders', html`
    <section class="panel">
      <div class="section-head">
        <h1>评价订单</h1>
        <span class="status status-${String(order.status)}" data-testid="order-status">${order.status_label}</span>
      </div>
      <p class="muted">订单号：${order.trade_no}</p>
      ${reviewable ? '' : html`<p class="muted">该订单当前不可评价。</p>`}
      ${(order.lines || []).map((line) => reviewBlock(line, reviewable))}
      <a class="button secondary" href="#/order/${enc(order.order_id)}">返回订单详情</a>
    </section>`))) return;

  on(ctx.view, '[data-testid="review-form"]', 'submit', (event, form) => {
    event.preventDefault();
    withBusy($('[data-testid="review-submit"]', form), async () => {
      const score = form.elements.score.value;
      if (!score) {
        showError('请选择评分');
        return;
      }
      await post(`/api/orders/${enc(order.order_id)}/lines/${enc(form.dataset.lineId)}/review`, {
        score: Number(score),
        content: form.elements.content.value.trim(),
      });
      const done = Object.assign(document.createElement('p'), { className: 'tag done', textContent: '已评价，感谢您的反馈' });
      done.dataset.testid = 'review-done';
      form.replaceWith(done);
      if ($$('[data-testid="review-form"]', ctx.view).length) {
        showNotice('评价成功');
        return;
      }
      showNotice('评价成功，订单已全部评价完成');
      const fresh = await api(`/api/orders/${enc(order.order_id)}`);
      if (ctx.alive) $('[data-testid="order-status"]', ctx.view).textContent = fresh.status_label;
    });
  });
}

function reviewBlock(line, reviewable) {
  return html`
    <div class="review-block">
      ${orderLine(line)}
      ${line.reviewed ? html`<p class="tag done" data-testid="review-done">已评价</p>` : reviewable ? html`
        <form class="form review-form" data-testid="review-form" data-line-id="${line.line_id}" novalidate>
          <fieldset class="scores">
            <legend>评分</legend>
            ${[5, 3, 1].map((score) => html`
              <label><input type="radio" name="score" value="${score}" data-testid="review-score"${attrIf(score === 5, 'checked')}>
                ${SCORE_LABELS[score]}（${score} 分）</label>`)}
          </fieldset>
          <label>评价内容<textarea name="content" rows="3" maxlength="500" placeholder="说说您的使用感受（选填）" data-testid="review-content"></textarea></label>
          <button type="submit" class="button" data-testid="review-submit">提交评价</button>
        </form>` : ''}
    </div>`;
}
